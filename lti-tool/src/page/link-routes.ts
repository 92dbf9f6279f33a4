// The page's link actions (DESIGN.md section 3b), each a relay call with a course token minted
// for the launch's own course, role and user (relay-client.ts): the course and the person always
// come from the verified launch (ltik) or, on the way back from Discourse, from the tool's signed
// state (link-state.ts), never from the request. A student can only link, or unlink, themselves.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { CdsError } from '@cds/shared';
import type { PageIdentity } from './identity.js';
import {
  cookieNonce,
  linkCookie,
  signLinkState,
  verifyLinkState,
  LINK_COOKIE,
} from './link-state.js';
import {
  RelayProblem,
  syncNowEvent,
  type CourseLinkRequest,
  type RelayClient,
} from './relay-client.js';
import { LINK_PATHS, renderLinkResult } from './render-links.js';
import {
  done,
  fail,
  parse,
  refusalStatus,
  requireInstructor,
  UNEXPECTED,
  wantsJson,
} from './respond.js';

export const LINK_ROUTES = LINK_PATHS;

export interface LinkRouteDeps {
  relay: RelayClient;
  /** The verified launch behind this request. */
  identityOf: (res: Response) => PageIdentity;
  /** LTI_PUBLIC_URL: Discourse sends the browser back to `${publicUrl}/lti/page/link/callback`. */
  publicUrl?: string;
  /** LTI_KEY: signs the state that comes back from Discourse. */
  secret?: string;
  onError: (error: unknown) => void;
}

const courseLinkBody = z.union(
  [
    z.strictObject({ create: z.literal('course') }),
    z.strictObject({
      category_id: z.coerce.number({ error: 'category_id must be a number' }).int().positive(),
    }),
  ],
  { error: 'send create=course, or the category_id of an allowed category' },
);

/** Fields that would name a course: the page acts on its launch's course only. */
const COURSE_FIELDS = ['course', 'course_id', 'courseId', 'context_id'];

/** The body of a form post, without the ltik (ltijs's session field, not an input). */
function fields(req: Request): Record<string, unknown> {
  const { ltik: _ltik, ...rest } = (req.body ?? {}) as Record<string, unknown>;
  return rest;
}

/** Refuses a course named in the request: only the launch says which course this is. */
function refuseOtherCourse(identity: PageIdentity, body: Record<string, unknown>): void {
  for (const name of COURSE_FIELDS) {
    const value = body[name];
    if (value === undefined) continue;
    throw new CdsError(
      'ERR_FORBIDDEN',
      `This page acts on the course you opened it from in Canvas (${identity.courseTitle}, course ${identity.course}) only; the course "${String(value)}" in the request is refused. To link another course, open the tool from that course.`,
    );
  }
}

export function linkRoutes(router: Router, deps: LinkRouteDeps): void {
  const { relay, identityOf, onError } = deps;

  router.post(LINK_PATHS.course, async (req, res) => {
    try {
      const identity = identityOf(res);
      requireInstructor(identity, 'link the course to Discourse');
      const body = fields(req);
      refuseOtherCourse(identity, body);
      const choice = parse(courseLinkBody, body);
      // The new category and group are named from the launch's course title, not the request.
      const request: CourseLinkRequest =
        'create' in choice
          ? { create: { name: identity.courseTitle } }
          : { category_id: choice.category_id };
      const link = await relay.linkCourse(identity, request);
      // The roster is read again ("Sync now"), so students enrolled long ago join the group too.
      const roster = await relay.send(identity, syncNowEvent(identity)).then(
        () => ' The course is read from Canvas again to fill the group with its people.',
        (error: unknown) => {
          onError(error);
          return ' Press "Sync now" to fill the group with the people already enrolled.';
        },
      );
      done(req, res, 200, {
        message: `${identity.courseTitle} is linked to the Discourse category "${link.category_name}" and the group "${link.group_name}": its changes sync there from now on, and what waited for the link is sent now.${roster}`,
        link,
      });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.post(LINK_PATHS.courseRemove, async (req, res) => {
    try {
      const identity = identityOf(res);
      requireInstructor(identity, "remove the course's link");
      refuseOtherCourse(identity, fields(req));
      const { message } = await relay.unlinkCourse(identity);
      done(req, res, 200, { message });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.post(LINK_PATHS.meRemove, async (req, res) => {
    try {
      const identity = identityOf(res);
      refuseOtherCourse(identity, fields(req));
      const { message } = await relay.unlinkMe(identity);
      done(req, res, 200, { message });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  // Opened in a new window by the page's form (render-links.ts says why): binds the request to
  // this browser with a cookie, then sends it to Discourse's approval page.
  router.post(LINK_PATHS.start, async (req, res) => {
    try {
      const identity = identityOf(res);
      refuseOtherCourse(identity, fields(req));
      if (!deps.publicUrl || !deps.secret)
        throw new CdsError(
          'ERR_UNAVAILABLE',
          'This tool is not set up to link forum accounts (it needs LTI_PUBLIC_URL and LTI_KEY).',
        );
      const publicUrl = deps.publicUrl.replace(/\/+$/, '');
      const { state, nonce } = signLinkState(identity, deps.secret);
      const redirect = `${publicUrl}${LINK_PATHS.callback}?state=${encodeURIComponent(state)}`;
      const url = await relay.startUserLink(identity, redirect);
      res.set('Set-Cookie', linkCookie(nonce, publicUrl.startsWith('https:'), LINK_PATHS.callback));
      res.set('Cache-Control', 'no-store');
      if (wantsJson(req)) res.json({ url });
      else res.redirect(303, url);
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  // Public (no ltik: tool.ts whitelists it): Discourse sends the browser here with `payload`,
  // the User API key encrypted to the relay's one-use key. The state names the launch; the relay
  // completes for that launch's user only, with a token minted for them.
  router.get(LINK_PATHS.callback, async (req, res) => {
    let courseTitle: string | undefined;
    res.set('Cache-Control', 'no-store');
    try {
      if (!deps.secret) throw new CdsError('ERR_UNAVAILABLE', 'This tool cannot link accounts.');
      const claims = verifyLinkState(req.query.state, cookieNonce(req.get('cookie')), deps.secret);
      courseTitle = claims.courseTitle;
      const payload = req.query.payload;
      if (typeof payload !== 'string' || payload.trim() === '')
        throw new CdsError(
          'ERR_MALFORMED',
          'Discourse sent you back without its answer ("payload"): the approval was not given. Press "Link my forum account" again.',
        );
      const identity: PageIdentity = {
        course: claims.course,
        user: claims.user,
        role: claims.role,
        courseTitle: claims.courseTitle,
        userName: undefined,
      };
      const link = await relay.completeUserLink(identity, payload);
      // The request is used up: the cookie goes too.
      res.set('Set-Cookie', `${LINK_COOKIE}=; Path=${LINK_PATHS.callback}; Max-Age=0`);
      res.type('html').send(
        renderLinkResult({
          ok: true,
          courseTitle,
          message: `Your Canvas account is linked to the Discourse account @${link.discourse_username}. Your grades, submissions and certificates in ${claims.courseTitle} now sync to it; what waited for this link is sent now, in order.`,
        }),
      );
    } catch (error) {
      const known = error instanceof RelayProblem || error instanceof CdsError;
      if (!known) onError(error);
      res
        .status(refusalStatus(error))
        .type('html')
        .send(
          renderLinkResult({
            ok: false,
            courseTitle,
            message: known ? (error as Error).message : UNEXPECTED,
          }),
        );
    }
  });
}
