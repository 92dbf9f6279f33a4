// The Canvas REST writes the LTI tool's writer uses, as Canvas takes them: course pages (Pages
// API), announcements and other discussion topics, and a user's details and profile. Bodies come
// as Rails parameters (`wiki_page[title]=...` form fields) or the same shape in JSON, as Canvas
// accepts both. Writes need a user who may make them (a teacher, TA or designer of the course, an
// account admin, or for some user fields the user), else 401 as `render_unauthorized_action`.
import type { Request, Response, Router } from 'express';
import {
  pageSlug,
  SimulatorError,
  updateDiscussionTopic,
  updateUser,
  updateWikiPage,
} from '../mutations.js';
import type { CanvasState, Course, DiscussionTopic, User, WikiPage } from '../state.js';
import { currentUser } from './auth.js';
import { canvasError, notFound } from './errors.js';
import { paginate } from './pagination.js';
import { userDetailJson } from './serializers.js';

const EDITOR_TYPES = new Set(['TeacherEnrollment', 'TaEnrollment', 'DesignerEnrollment']);

/** Whether the caller may change the course's content (Canvas: manage_wiki / moderate_forum). */
function mayEditCourse(state: CanvasState, user: User, courseId: number): boolean {
  if (state.accountAdmins.has(user.id)) return true;
  return state
    .list(state.enrollments, (e) => e.course_id === courseId && e.user_id === user.id)
    .some((e) => EDITOR_TYPES.has(e.type) && e.enrollment_state === 'active');
}

/** Canvas's `render_unauthorized_action` for an API request. */
function unauthorized(res: Response): void {
  canvasError(res, 401, 'user not authorized to perform that action', 'unauthorized');
}

/** Canvas's `value_to_boolean`. */
function toBoolean(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return ['true', '1', 'yes', 'on', 't'].includes(String(v).toLowerCase()) || v === true;
}

/** A Rails nested parameter (`wiki_page[title]` or `{"wiki_page": {"title": ...}}`), as a record. */
function nested(req: Request, name: string): Record<string, unknown> {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function optText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A Page (https://canvas.instructure.com/doc/api/pages.html#Page); lists leave out the body. */
export function pageJson(p: WikiPage, baseUrl: string, withBody = true) {
  const published = p.published ?? true;
  return {
    page_id: p.id,
    url: p.url,
    html_url: `${baseUrl}/courses/${p.course_id}/pages/${p.url}`,
    title: p.title,
    created_at: p.created_at,
    updated_at: p.updated_at,
    hide_from_students: !published,
    editing_roles: p.editing_roles ?? 'teachers',
    ...(withBody ? { body: p.body } : {}),
    published,
    front_page: false,
    locked_for_user: false,
    todo_date: null,
    publish_at: null,
  };
}

/** A DiscussionTopic (https://canvas.instructure.com/doc/api/discussion_topics.html#DiscussionTopic). */
export function discussionTopicJson(state: CanvasState, t: DiscussionTopic, baseUrl: string) {
  const author = t.user_id === null ? undefined : state.users.get(t.user_id);
  return {
    id: t.id,
    title: t.title,
    message: t.message,
    html_url: `${baseUrl}/courses/${t.course_id}/${t.is_announcement ? 'announcements' : 'discussion_topics'}/${t.id}`,
    posted_at: t.posted_at,
    last_reply_at: null,
    require_initial_post: false,
    user_can_see_posts: true,
    discussion_subentry_count: 0,
    read_state: 'read',
    unread_count: 0,
    subscribed: false,
    subscription_hold: null,
    assignment_id: null,
    delayed_post_at: null,
    published: t.workflow_state === 'active',
    lock_at: null,
    locked: false,
    pinned: false,
    locked_for_user: false,
    user_name: author?.name ?? null,
    topic_children: [],
    group_topic_children: [],
    root_topic_id: null,
    podcast_url: null,
    discussion_type: t.is_announcement ? 'side_comment' : 'threaded',
    group_category_id: null,
    attachments: [],
    permissions: { attach: false },
    allow_rating: false,
    only_graders_can_rate: false,
    sort_by_rating: false,
  };
}

/**
 * Wiki#find_page: `page_id:N` names a page by id; otherwise the url (as given or slugged) wins
 * over a numeric id (https://canvas.instructure.com/doc/api/pages.html, "Note on page identifiers").
 */
function findPage(state: CanvasState, courseId: number, urlOrId: string): WikiPage | undefined {
  const pages = state.list(state.wikiPages, (p) => p.course_id === courseId);
  const byId = /^page_id:(\d+)$/.exec(urlOrId);
  if (byId) return pages.find((p) => p.id === Number(byId[1]));
  return (
    pages.find((p) => p.url === urlOrId || p.url === pageSlug(urlOrId)) ??
    (/^\d+$/.test(urlOrId) ? pages.find((p) => p.id === Number(urlOrId)) : undefined)
  );
}

export function addContentRoutes(
  r: Router,
  state: CanvasState,
  baseUrl: () => string,
  findCourse: (req: Request, res: Response) => Course | undefined,
  userIdParam: (res: Response, raw: string) => number | undefined,
): void {
  const guard = (res: Response, run: () => void) => {
    try {
      run();
    } catch (err) {
      if (err instanceof SimulatorError) return canvasError(res, err.status, err.message);
      throw err;
    }
  };

  // https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.index
  r.get('/api/v1/courses/:course_id/pages', (req, res) => {
    const c = findCourse(req, res);
    if (!c) return;
    const rows = state.list(state.wikiPages, (p) => p.course_id === c.id);
    res.json(paginate(req, res, baseUrl(), rows).map((p) => pageJson(p, baseUrl(), false)));
  });

  // https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.show
  // A missing page is `{"message": "page not found"}` (WikiPagesApiController#require_wiki_page).
  r.get('/api/v1/courses/:course_id/pages/:url_or_id', (req, res) => {
    const c = findCourse(req, res);
    if (!c) return;
    const page = findPage(state, c.id, String(req.params.url_or_id));
    if (!page) return void res.status(404).json({ message: 'page not found' });
    res.json(pageJson(page, baseUrl()));
  });

  // https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.create
  // wiki_page[title] (required), wiki_page[body], wiki_page[published].
  r.post('/api/v1/courses/:course_id/pages', (req, res) => {
    const c = findCourse(req, res);
    if (!c) return;
    if (!mayEditCourse(state, currentUser(res), c.id)) return unauthorized(res);
    const params = nested(req, 'wiki_page');
    const title = optText(params.title);
    if (!title?.trim()) {
      // ActiveRecord's errors JSON for WikiPage's title presence validation.
      return void res.status(400).json({
        errors: { title: [{ attribute: 'title', type: 'blank', message: 'blank' }] },
      });
    }
    guard(res, () => {
      const page = updateWikiPage(state, {
        courseId: c.id,
        title,
        body: optText(params.body) ?? '',
        published: toBoolean(params.published),
        url: pageSlug(title),
        actorId: currentUser(res).id,
      });
      res.json(pageJson(page, baseUrl()));
    });
  });

  // https://canvas.instructure.com/doc/api/pages.html#method.wiki_pages_api.update
  // "Update/create page": a locator that names no page creates one with that url (Canvas's
  // get_wiki_page builds it; a numeric locator that is no page id is taken as a url).
  r.put('/api/v1/courses/:course_id/pages/:url_or_id', (req, res) => {
    const c = findCourse(req, res);
    if (!c) return;
    if (!mayEditCourse(state, currentUser(res), c.id)) return unauthorized(res);
    const locator = String(req.params.url_or_id);
    const params = nested(req, 'wiki_page');
    const existing = findPage(state, c.id, locator);
    const title = optText(params.title) ?? existing?.title ?? locator;
    if (!title.trim()) {
      return void res.status(400).json({
        errors: { title: [{ attribute: 'title', type: 'blank', message: 'blank' }] },
      });
    }
    guard(res, () => {
      const page = updateWikiPage(state, {
        courseId: c.id,
        pageId: existing?.id,
        title,
        body: optText(params.body) ?? existing?.body ?? '',
        published: toBoolean(params.published),
        url: existing ? undefined : pageSlug(locator),
        actorId: currentUser(res).id,
      });
      res.json(pageJson(page, baseUrl()));
    });
  });

  const topic = (req: Request, res: Response, c: Course) => {
    const t = state.discussionTopics.get(Number(req.params.topic_id));
    if (!t || t.course_id !== c.id || t.workflow_state === 'deleted') return void notFound(res);
    return t;
  };

  // https://canvas.instructure.com/doc/api/discussion_topics.html#method.discussion_topics.index
  // only_announcements=true lists announcements; otherwise discussions only.
  r.get('/api/v1/courses/:course_id/discussion_topics', (req, res) => {
    const c = findCourse(req, res);
    if (!c) return;
    const announcements = toBoolean(req.query.only_announcements) ?? false;
    const rows = state.list(
      state.discussionTopics,
      (t) =>
        t.course_id === c.id &&
        t.workflow_state !== 'deleted' &&
        t.is_announcement === announcements,
    );
    res.json(
      paginate(req, res, baseUrl(), rows).map((t) => discussionTopicJson(state, t, baseUrl())),
    );
  });

  // https://canvas.instructure.com/doc/api/discussion_topics.html#method.discussion_topics_api.show
  r.get('/api/v1/courses/:course_id/discussion_topics/:topic_id', (req, res) => {
    const c = findCourse(req, res);
    const t = c && topic(req, res, c);
    if (t) res.json(discussionTopicJson(state, t, baseUrl()));
  });

  // https://canvas.instructure.com/doc/api/discussion_topics.html#method.discussion_topics.update
  // title, message (top-level parameters); an announcement is updated the same way.
  r.put('/api/v1/courses/:course_id/discussion_topics/:topic_id', (req, res) => {
    const c = findCourse(req, res);
    const t = c && topic(req, res, c);
    if (!c || !t) return;
    if (!mayEditCourse(state, currentUser(res), c.id)) return unauthorized(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    guard(res, () => {
      const updated = updateDiscussionTopic(state, t.id, {
        title: optText(body.title),
        message: optText(body.message),
        actorId: currentUser(res).id,
      });
      res.json(discussionTopicJson(state, updated, baseUrl()));
    });
  });

  // https://canvas.instructure.com/doc/api/users.html#method.users.update (UsersController#update):
  // each user[...] field needs its right, and any field the caller may not set makes the whole
  // request 401. user[bio] and user[title] need the root account's profiles enabled and an admin;
  // user[avatar][url], user[time_zone] and user[locale] the user or an admin; names and email an admin.
  r.put('/api/v1/users/:user_id', (req, res) => {
    const id = userIdParam(res, String(req.params.user_id));
    const u = id === undefined ? undefined : state.users.get(id);
    if (!u) return notFound(res);
    const caller = currentUser(res);
    const admin = state.accountAdmins.has(caller.id);
    const self = caller.id === u.id;
    const params = nested(req, 'user');
    const managed = new Set<string>();
    if (admin) ['name', 'short_name', 'sortable_name', 'email'].forEach((f) => managed.add(f));
    if (admin && state.enableProfiles) ['bio', 'title'].forEach((f) => managed.add(f));
    if (admin || self) ['avatar', 'time_zone', 'locale'].forEach((f) => managed.add(f));
    const given = Object.keys(params);
    if (managed.size === 0 || given.some((f) => !managed.has(f))) return unauthorized(res);
    const avatar = params.avatar as Record<string, unknown> | undefined;
    guard(res, () => {
      const updated = updateUser(state, u.id, {
        name: optText(params.name),
        short_name: optText(params.short_name),
        sortable_name: optText(params.sortable_name),
        email: optText(params.email),
        bio: optText(params.bio),
        title: optText(params.title),
        avatar_url: optText(avatar?.url),
        actorId: caller.id,
      });
      if (typeof params.time_zone === 'string') updated.time_zone = params.time_zone;
      // user_json with the includes users#update asks for (title and bio when they were set).
      res.json({
        ...userDetailJson(updated),
        ...('title' in params ? { title: updated.title ?? null } : {}),
        ...('bio' in params ? { bio: updated.bio ?? null } : {}),
      });
    });
  });
}
