import express, { Router } from 'express';
import { z } from 'zod';
import { CdsError, type CourseLink, type UserLink } from '@cds/shared';
import type { Store } from '../db/connect.js';
import { courseOfPath, parseRequestPart } from '../http/parse.js';
import { principalOf, type Principal } from '../http/auth.js';
import { actorOf, mayAct, requireAdmin, requireCourse } from '../status/scope.js';
import {
  courseLinkOfCategory,
  getCourseLink,
  getUserLink,
  listCourseLinks,
  listUserLinks,
  putIdentity,
  waitsByReason,
} from '../store/links.js';
import type { ForumSetup } from './forum-setup.js';
import type { SelfServiceLinks } from './self-service.js';
import type { LinkService } from './service.js';

export interface LinksRouterDeps {
  store: Store;
  service: LinkService;
  /** Discourse REST for new and picked categories; none without DISCOURSE_URL and an API key. */
  setup?: ForumSetup;
  /** The User API key flow; none without DISCOURSE_URL. */
  selfService?: SelfServiceLinks;
}

const categoryParam = z
  .string()
  .regex(/^\d{1,12}$/, 'must be a Discourse category id (digits)')
  .transform(Number);
const linkBody = z.union(
  [
    z.strictObject({ create: z.strictObject({ name: z.string().trim().min(1).max(200) }) }),
    z.strictObject({ category_id: z.number().int().positive() }),
  ],
  {
    error:
      'must be {"create": {"name": "<the new category\'s name>"}} or {"category_id": <an allowed category\'s id>}',
  },
);
const identityBody = z.strictObject({
  lti_sub: z.string().min(1).max(255).optional(),
  sis_user_id: z.string().min(1).max(255).optional(),
  login_id: z.string().min(1).max(255).optional(),
  email: z.email().max(254).optional(),
});
const startBody = z.strictObject({
  redirect: z.url({
    protocol: /^https?$/,
    error: 'must be the http(s) URL Discourse sends the student back to',
  }),
});
const completeBody = z.strictObject({
  payload: z.string().min(16, 'must be the payload Discourse redirected back with').max(4096),
});

const NOT_CONFIGURED = (what: string) =>
  new CdsError(
    'ERR_UNAVAILABLE',
    `${what} needs the relay's Discourse settings (DISCOURSE_URL and DISCOURSE_API_KEY)`,
  );

/** An instructor of this course or an admin (course links are theirs to make). */
function requireCourseActor(principal: Principal, course: string): void {
  requireCourse(principal, course);
  if (!mayAct(principal))
    throw new CdsError(
      'ERR_FORBIDDEN',
      `only an instructor of course ${course} may link it to Discourse`,
    );
}

/** The person of a course token, in that course: what "me" means (students link themselves). */
function me(principal: Principal, course: string): { canvasUserId: string; courseId: string } {
  if (principal.kind !== 'course')
    throw new CdsError(
      'ERR_FORBIDDEN',
      'only a Canvas launch (a course token) links its own forum account',
    );
  if (principal.course !== course)
    throw new CdsError(
      'ERR_FORBIDDEN',
      `your token is for course ${principal.course}, not course ${course}`,
    );
  return { canvasUserId: principal.user, courseId: course };
}

/** What a course's page shows of its links: the course's forum, the reader's account, the waits. */
export async function courseLinksView(
  store: Store,
  course: string,
  principal: Principal,
  keyPatterns: readonly string[],
): Promise<{
  course: CourseLink | null;
  me: UserLink | null;
  waiting: Array<{ reason: string; count: number }>;
}> {
  const [link, mine, waits] = await Promise.all([
    getCourseLink(store.db, course),
    principal.kind === 'course' ? getUserLink(store.db, principal.user) : undefined,
    waitsByReason(store.db, keyPatterns),
  ]);
  const waiting = new Map<string, number>();
  for (const w of waits) waiting.set(w.reason, (waiting.get(w.reason) ?? 0) + w.count);
  return {
    course: link ?? null,
    me: mine ?? null,
    waiting: [...waiting].map(([reason, count]) => ({ reason, count })),
  };
}

/**
 * The links API (DESIGN.md section 3b), behind the status API's auth:
 * - `GET /v1/status/courses/:course/link/options`: the categories an instructor may pick;
 * - `PUT /v1/status/courses/:course/link` `{"create": {"name"}}` or `{"category_id"}`, `DELETE`;
 * - `PUT /v1/status/courses/:course/me/identity`: what a launch says of its user;
 * - `POST /v1/status/courses/:course/me/link/start` `{"redirect"}` and `.../complete` `{"payload"}`:
 *   "Link my forum account"; `DELETE /v1/status/courses/:course/me/link`;
 * - `GET /v1/status/links`: every link (admins).
 */
export function linksRouter(deps: LinksRouterDeps): Router {
  const router = Router();
  router.use('/v1/status', express.json({ limit: '16kb' }));

  router.get('/v1/status/courses/:course/link/options', async (req, res) => {
    const course = courseOfPath(req.params);
    requireCourseActor(principalOf(res.locals), course);
    if (!deps.setup) throw NOT_CONFIGURED('Linking a course');
    res.json({
      link: (await getCourseLink(deps.store.db, course)) ?? null,
      categories: await deps.setup.allowedCategories(),
    });
  });

  router.put('/v1/status/courses/:course/link', async (req, res) => {
    const course = courseOfPath(req.params);
    const principal = principalOf(res.locals);
    requireCourseActor(principal, course);
    const body = parseRequestPart(linkBody, req.body, 'body');
    if (!deps.setup) throw NOT_CONFIGURED('Linking a course');
    const forum =
      'create' in body
        ? await deps.setup.create(course, body.create.name)
        : await deps.setup.pick(course, `Canvas course ${course}`, body.category_id);
    const link = await deps.service.linkCourse(
      {
        courseId: course,
        categoryId: forum.category.id,
        categoryName: forum.category.name,
        groupId: forum.group.id,
        groupName: forum.group.name,
        method: 'create' in body ? 'created' : 'picked',
      },
      actorOf(principal),
    );
    res.json({ link });
  });

  router.delete('/v1/status/courses/:course/link', async (req, res) => {
    const course = courseOfPath(req.params);
    const principal = principalOf(res.locals);
    requireCourseActor(principal, course);
    const removed = await deps.service.unlinkCourse(course, actorOf(principal));
    res.json({
      removed,
      message: `Course ${course} is no longer linked to "${removed.category_name}": nothing of it syncs to Discourse until it is linked again (its events wait as "pending: course not linked").`,
    });
  });

  router.put('/v1/status/courses/:course/me/identity', async (req, res) => {
    const course = courseOfPath(req.params);
    const who = me(principalOf(res.locals), course);
    const body = parseRequestPart(identityBody, req.body, 'body');
    await putIdentity(deps.store.db, {
      canvas_user_id: who.canvasUserId,
      lti_sub: body.lti_sub ?? null,
      sis_user_id: body.sis_user_id ?? null,
      login_id: body.login_id ?? null,
      email: body.email?.toLowerCase() ?? null,
    });
    res.status(204).end();
  });

  router.post('/v1/status/courses/:course/me/link/start', async (req, res) => {
    const course = courseOfPath(req.params);
    const who = me(principalOf(res.locals), course);
    const body = parseRequestPart(startBody, req.body, 'body');
    if (!deps.selfService) throw NOT_CONFIGURED('Linking a forum account');
    res.json({ url: await deps.selfService.start(who, body.redirect) });
  });

  router.post('/v1/status/courses/:course/me/link/complete', async (req, res) => {
    const course = courseOfPath(req.params);
    const who = me(principalOf(res.locals), course);
    const body = parseRequestPart(completeBody, req.body, 'body');
    if (!deps.selfService) throw NOT_CONFIGURED('Linking a forum account');
    res.json({ link: await deps.selfService.complete(who, body.payload) });
  });

  router.delete('/v1/status/courses/:course/me/link', async (req, res) => {
    const course = courseOfPath(req.params);
    const who = me(principalOf(res.locals), course);
    const removed = await deps.service.unlinkUser(
      who.canvasUserId,
      actorOf(principalOf(res.locals)),
    );
    res.json({
      removed,
      message: `Your Canvas account is no longer linked to @${removed.discourse_username}: your grades and badges stop syncing to Discourse until you link an account again.`,
    });
  });

  // The plugin's category panel: which course a category is, for its moderators and admins.
  router.get('/v1/status/categories/:category/link', async (req, res) => {
    const category = parseRequestPart(
      categoryParam,
      req.params.category,
      'path parameter "category"',
    );
    const principal = principalOf(res.locals);
    const link = await courseLinkOfCategory(deps.store.db, category);
    const visible =
      principal.kind === 'admin' ||
      (principal.kind === 'discourse' &&
        (principal.role === 'admin' ||
          (link !== undefined && principal.courses.includes(link.course_id))));
    if (!link || !visible)
      throw new CdsError(
        'ERR_NOT_FOUND',
        `Discourse category ${category} is not linked to a Canvas course${visible ? '' : ' that you moderate'}`,
      );
    res.json({ link });
  });

  router.get('/v1/status/links', async (_req, res) => {
    requireAdmin(principalOf(res.locals), 'the list of every link');
    const [courses, users, waiting] = await Promise.all([
      listCourseLinks(deps.store.db),
      listUserLinks(deps.store.db),
      waitsByReason(deps.store.db),
    ]);
    res.json({ courses, users, waiting });
  });

  return router;
}
