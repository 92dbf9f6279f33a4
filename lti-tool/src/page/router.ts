// The course page: served at the launch (ltijs's onConnect) and refreshed through the routes
// below. Every route sits behind ltijs's session check (the ltik, as a Bearer token, query or
// form field), and the course and role come from the verified launch it names, never from the
// request: a student's ltik cannot read or change more than a student's token allows.
import { readFileSync } from 'node:fs';
import { Router, type Request, type Response } from 'express';
import type { IdToken } from 'ltijs';
import { z } from 'zod';
import { launchFacts, pageIdentity, type PageIdentity } from './identity.js';
import { LINK_ROUTES, linkRoutes } from './link-routes.js';
import {
  RelayClient,
  RelayProblem,
  syncNowEvent,
  type CourseStatus,
  type RelayClientOptions,
} from './relay-client.js';
import { renderLinks, type LinkChoices } from './render-links.js';
import { renderPage, renderProblem, renderStatus } from './render.js';
import { done, fail, parse, requireInstructor } from './respond.js';

export const PAGE_ROUTES = {
  status: '/lti/page/status',
  stream: '/lti/page/stream',
  resolve: '/lti/page/conflicts/:id/resolve',
  replay: '/lti/page/dead-letters/:eventId/replay',
  sync: '/lti/page/sync',
  links: '/lti/page/links',
  ...LINK_ROUTES,
} as const;

export interface CoursePageOptions extends RelayClientOptions {
  /** Also runs on "Sync now", e.g. the REST poller back-filling the course. @defaultValue none */
  onSyncNow?: (identity: PageIdentity) => Promise<void>;
  /** CANVAS_SHARD_ID: makes the launch's local Canvas ids global, as the keys carry them. */
  shardId?: string;
  /** LTI_PUBLIC_URL, for the link-back from Discourse (createLtiTool sets it). */
  publicUrl?: string;
  /** LTI_KEY, which signs that link-back's state (createLtiTool sets it). */
  secret?: string;
}

const CLIENT_SCRIPT = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

const resolveBody = z.object({
  take: z.enum(['canvas', 'discourse'], { error: 'take must be "canvas" or "discourse"' }),
});
const conflictId = z.string().regex(/^[\w-]{1,100}$/, 'must be a conflict id');
const eventId = z.uuid({ error: 'must be an event id (a UUID)' });

export interface CoursePage {
  /** ltijs's onConnect: the page for the launch's course and role. */
  onLaunch(token: IdToken, req: Request, res: Response): Promise<void>;
  /** The page's routes, to mount on ltijs's app (so they stay behind its session check). */
  router: Router;
  relay: RelayClient;
}

export function createCoursePage(
  options: CoursePageOptions,
  onError: (error: unknown) => void,
): CoursePage {
  const relay = new RelayClient(options);
  /** The verified launch behind this request (ltijs sets it after checking the ltik). */
  const identityOf = (res: Response): PageIdentity =>
    pageIdentity(res.locals.token as IdToken, options.shardId);

  async function statusHtml(
    identity: PageIdentity,
    ltik: string,
  ): Promise<{ html: string; status?: CourseStatus }> {
    try {
      const status = await relay.courseStatus(identity);
      return { html: renderStatus(identity, status, ltik), status };
    } catch (error) {
      if (error instanceof RelayProblem) return { html: renderProblem(error.message) };
      throw error;
    }
  }

  /** What an instructor may link the course to; the relay's reason when it cannot. */
  async function choicesFor(identity: PageIdentity): Promise<LinkChoices | undefined> {
    if (identity.role !== 'instructor') return undefined;
    try {
      return { categories: (await relay.linkOptions(identity)).categories };
    } catch (error) {
      if (error instanceof RelayProblem) return { categories: [], problem: error.message };
      throw error;
    }
  }

  /** The link sections; `status` when the caller already read it. */
  async function linksHtml(
    identity: PageIdentity,
    ltik: string,
    status?: CourseStatus,
  ): Promise<string> {
    let read = status;
    if (!read)
      try {
        read = await relay.courseStatus(identity, 1);
      } catch (error) {
        if (error instanceof RelayProblem) return '';
        throw error;
      }
    return renderLinks(identity, read.links, await choicesFor(identity), ltik);
  }

  /** Tells the relay who the launch's user is; a failure is logged and changes nothing here. */
  function noteIdentity(identity: PageIdentity, token: IdToken): void {
    const facts = launchFacts(token);
    if (Object.keys(facts).length === 0) return;
    relay.putIdentity(identity, facts).catch((error: unknown) => onError(error));
  }

  async function onLaunch(token: IdToken, req: Request, res: Response): Promise<void> {
    try {
      const identity = pageIdentity(token, options.shardId);
      const ltik = String(res.locals.ltik ?? '');
      noteIdentity(identity, token);
      const status = await statusHtml(identity, ltik);
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send(
          renderPage({
            identity,
            ltik,
            statusHtml: status.html,
            linksHtml: status.status ? await linksHtml(identity, ltik, status.status) : '',
            script: CLIENT_SCRIPT,
          }),
        );
    } catch (error) {
      fail(req, res, error, onError);
    }
  }

  const router = Router();
  router.get(PAGE_ROUTES.status, async (req, res) => {
    try {
      const identity = identityOf(res);
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send((await statusHtml(identity, String(res.locals.ltik ?? ''))).html);
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.get(PAGE_ROUTES.links, async (req, res) => {
    try {
      const identity = identityOf(res);
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send(await linksHtml(identity, String(res.locals.ltik ?? '')));
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  linkRoutes(router, {
    relay,
    identityOf,
    publicUrl: options.publicUrl,
    secret: options.secret,
    onError,
  });

  router.post(PAGE_ROUTES.resolve, async (req, res) => {
    try {
      const identity = identityOf(res);
      requireInstructor(identity, 'resolve conflicts');
      const id = parse(conflictId, req.params.id);
      const { take } = parse(resolveBody, req.body);
      const { eventId: chosen } = await relay.resolveConflict(identity, id, take);
      const side = take === 'canvas' ? 'Canvas' : 'Discourse';
      done(req, res, 202, {
        message: `Conflict resolved: ${side}'s version goes to both sides (event ${chosen}).`,
        eventId: chosen,
      });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.post(PAGE_ROUTES.replay, async (req, res) => {
    try {
      const identity = identityOf(res);
      requireInstructor(identity, 'replay failed deliveries');
      const id = parse(eventId, req.params.eventId);
      const { replayed } = await relay.replayDeadLetter(identity, id);
      done(req, res, 202, { message: `Sent again: ${replayed} delivery(ies) replayed.`, replayed });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.post(PAGE_ROUTES.sync, async (req, res) => {
    try {
      const identity = identityOf(res);
      requireInstructor(identity, 'start a sync');
      const result = await relay.send(identity, syncNowEvent(identity));
      await options.onSyncNow?.(identity);
      done(req, res, 202, {
        message: `Sync requested: the relay ${result.status === 'duplicate' ? 'already had' : 'took'} the request (event ${result.id}).`,
        eventId: result.id,
        status: result.status,
      });
    } catch (error) {
      fail(req, res, error, onError);
    }
  });

  router.get(PAGE_ROUTES.stream, async (req, res) => {
    let identity: PageIdentity;
    try {
      identity = identityOf(res);
    } catch (error) {
      return fail(req, res, error, onError);
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    try {
      const upstream = await relay.openStream(identity);
      if (res.destroyed) return void upstream.destroy();
      res.on('close', () => upstream.destroy());
      upstream.on('error', () => res.end());
      upstream.on('end', () => res.end());
      upstream.pipe(res);
    } catch (error) {
      const message =
        error instanceof RelayProblem ? error.message : 'The live updates stopped unexpectedly.';
      if (!(error instanceof RelayProblem)) onError(error);
      // A later retry: the browser reconnects by itself once the relay is back.
      res.end(`retry: 10000\nevent: problem\ndata: ${JSON.stringify({ message })}\n\n`);
    }
  });

  return { onLaunch, router, relay };
}
