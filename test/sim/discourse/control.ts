// The simulator's control API, for tests and the demo, under /__control (not a Discourse path):
// build the site (users, groups, categories, badges, topics and posts: each emits the webhooks a
// real change would), settings (retry_web_hook_events, allowed auth redirects), the User API key
// approval step, and the faults a production Discourse shows: an outage (503 or refused
// connections), injected 5xx or 429 answers, slow answers; plus counters.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import * as m from './mutations.js';
import type { RateLimiter } from './rest/auth.js';
import * as s from './rest/serializers.js';
import { approve, type PendingAuthorizations } from './rest/user-api-keys.js';
import type { DiscourseState } from './state.js';
import type { WebhookEmitter } from './webhooks/emitter.js';

/** The faults every non-control request goes through. */
export class Faults {
  requests = 0;
  faulted = 0;
  offline: 'no' | '503' | 'refuse' = 'no';
  private injected: Array<{ status: number; remaining: number }> = [];
  private delay: { ms: number; remaining: number } | undefined;

  inject(status: number, count: number): void {
    this.injected.push({ status, remaining: count });
  }

  slow(ms: number, count = Infinity): void {
    this.delay = ms > 0 ? { ms, remaining: count } : undefined;
  }

  clear(): void {
    this.injected = [];
    this.delay = undefined;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      if (req.path.startsWith('/__control')) return next();
      this.requests += 1;
      if (this.offline !== 'no') {
        this.faulted += 1;
        // What nginx in front of a stopped Discourse (discourse_docker) answers.
        res.status(503).type('text/html').send('<h1>503 Service Unavailable</h1>\n');
        return;
      }
      if (this.delay && this.delay.remaining > 0) {
        this.delay.remaining -= 1;
        await new Promise((resolve) => setTimeout(resolve, this.delay!.ms));
      }
      const fault = this.injected.find((f) => f.remaining > 0);
      if (fault) {
        fault.remaining -= 1;
        this.faulted += 1;
        // Rails' JSON answer to an unhandled exception.
        res.status(fault.status).json({ status: fault.status, error: 'Internal Server Error' });
        return;
      }
      next();
    };
  }
}

export interface ControlDeps {
  state: DiscourseState;
  emitter: WebhookEmitter;
  limiter: RateLimiter;
  faults: Faults;
  pending: PendingAuthorizations;
  goOffline(mode: '503' | 'refuse', forMs?: number): Promise<void>;
  goOnline(): Promise<void>;
}

class InputError extends Error {}
type Body = Record<string, unknown>;

function int(b: Body, name: string): number {
  const v = b[name];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw new InputError(`${name} must be an integer`);
}
function optInt(b: Body, name: string): number | undefined {
  return b[name] === undefined || b[name] === null ? undefined : int(b, name);
}
function text(b: Body, name: string): string {
  const v = b[name];
  if (typeof v === 'string' && v !== '') return v;
  throw new InputError(`${name} must be a non-empty string`);
}
function optText(b: Body, name: string): string | undefined {
  return b[name] === undefined || b[name] === null ? undefined : text(b, name);
}
function optBool(b: Body, name: string): boolean | undefined {
  const v = b[name];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  throw new InputError(`${name} must be a boolean`);
}
function userId(state: DiscourseState, b: Body, name = 'username'): number {
  const u = state.userByUsername(text(b, name));
  if (!u) throw new m.DiscourseError(404, [`no user ${String(b[name])}`]);
  return u.id;
}

export function createControlRouter(deps: ControlDeps): Router {
  const { state, emitter, limiter, faults } = deps;
  const r = Router();
  r.use(express.json());
  const handle =
    (fn: (b: Body, req: Request) => unknown) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Body;
        res.json((await fn(body, req)) ?? { ok: true });
      } catch (err) {
        if (err instanceof InputError) {
          res.status(400).json({ error: { code: 'ERR_CONTROL_INPUT', message: err.message } });
        } else if (err instanceof m.DiscourseError) {
          res
            .status(err.status)
            .json({ error: { code: 'ERR_CONTROL_REFUSED', message: err.message } });
        } else {
          throw err;
        }
      }
    };

  r.post(
    '/users',
    handle((b) => {
      const u = m.createUser(state, {
        username: text(b, 'username'),
        name: optText(b, 'name'),
        email: optText(b, 'email'),
        external_id: optText(b, 'external_id'),
        admin: optBool(b, 'admin'),
        moderator: optBool(b, 'moderator'),
        trust_level: optInt(b, 'trust_level'),
      });
      return { ...u, ...(b.apiKey === true ? { api_key: state.issueApiKey(u.id) } : {}) };
    }),
  );
  r.patch(
    '/users/:username',
    handle((b, req) =>
      m.updateUser(state, userId(state, { username: req.params.username }), {
        name: optText(b, 'name'),
        title: optText(b, 'title'),
        bio_raw: optText(b, 'bio_raw'),
        external_id: optText(b, 'external_id'),
        email: optText(b, 'email'),
      }),
    ),
  );
  r.post(
    '/api-keys',
    handle((b) => ({
      key: state.issueApiKey(b.username === undefined ? null : userId(state, b)),
    })),
  );
  r.post(
    '/groups',
    handle((b) =>
      m.createGroup(state, {
        name: text(b, 'name'),
        full_name: optText(b, 'full_name'),
        usernames: Array.isArray(b.usernames) ? b.usernames.map(String) : undefined,
      }),
    ),
  );
  r.post(
    '/categories',
    handle((b) =>
      m.createCategory(state, {
        name: text(b, 'name'),
        slug: optText(b, 'slug'),
        parent_category_id: optInt(b, 'parent_category_id') ?? null,
      }),
    ),
  );
  r.post(
    '/badges',
    handle((b) =>
      m.createBadge(state, {
        name: text(b, 'name'),
        badge_type_id: optInt(b, 'badge_type_id') ?? 3,
        description: optText(b, 'description'),
        multiple_grant: optBool(b, 'multiple_grant'),
      }),
    ),
  );
  r.post(
    '/user-badges',
    handle((b) => {
      const admin = [...state.users.values()].find((u) => u.admin);
      return m.grantBadge(state, {
        badgeId: int(b, 'badge_id'),
        userId: userId(state, b),
        grantedById: optText(b, 'granted_by') ? userId(state, b, 'granted_by') : (admin?.id ?? -1),
        reason: optText(b, 'reason'),
      });
    }),
  );
  r.delete(
    '/user-badges/:id',
    handle((_b, req) => m.revokeBadge(state, Number(req.params.id))),
  );
  r.post(
    '/posts',
    handle((b) => {
      const p = m.createPost(state, {
        userId: userId(state, b),
        raw: text(b, 'raw'),
        title: optText(b, 'title'),
        topicId: optInt(b, 'topic_id'),
        categoryId: optInt(b, 'category_id'),
        replyToPostNumber: optInt(b, 'reply_to_post_number') ?? null,
      });
      return s.post(state, p);
    }),
  );
  r.patch(
    '/posts/:id',
    handle((b, req) =>
      s.post(
        state,
        m.editPost(state, Number(req.params.id), {
          raw: optText(b, 'raw'),
          title: optText(b, 'title'),
          editReason: optText(b, 'edit_reason'),
        }),
      ),
    ),
  );
  r.delete(
    '/posts/:id',
    handle((b, req) => m.deletePost(state, Number(req.params.id), optInt(b, 'actor_id') ?? -1)),
  );

  // Site settings the simulator honours.
  r.patch(
    '/site-settings',
    handle((b) => {
      const retry = optBool(b, 'retry_web_hook_events');
      if (retry !== undefined) state.siteSettings.retry_web_hook_events = retry;
      if (Array.isArray(b.allowed_user_api_auth_redirects)) {
        state.siteSettings.allowed_user_api_auth_redirects =
          b.allowed_user_api_auth_redirects.map(String);
      }
      return state.siteSettings;
    }),
  );

  // The User API key approval step: `username` approves the pending request (by nonce, else the
  // latest); answers the redirect the browser would follow and the encrypted payload.
  r.post(
    '/user-api-keys/approve',
    handle((b) => {
      const request = deps.pending.take(optText(b, 'nonce'));
      if (!request) throw new m.DiscourseError(404, ['no pending user API key request']);
      const user = state.users.get(userId(state, b))!;
      const { redirect, payload, key } = approve(state, user, request);
      return { redirect: redirect ?? null, payload, key_id: key.id };
    }),
  );

  // Faults.
  r.post(
    '/offline',
    handle(async (b) => {
      const mode = b.mode === 'refuse' ? 'refuse' : '503';
      await deps.goOffline(mode, optInt(b, 'forMs'));
    }),
  );
  r.post(
    '/online',
    handle(() => deps.goOnline()),
  );
  r.post(
    '/faults',
    handle((b) => {
      const status = optInt(b, 'status') ?? 500;
      const count = optInt(b, 'count') ?? 1;
      if (status === 429) {
        limiter.force(count, optInt(b, 'waitSeconds') ?? 30);
        return;
      }
      if (status < 500 || status > 599) throw new InputError('status must be a 5xx or 429');
      faults.inject(status, count);
    }),
  );
  r.delete(
    '/faults',
    handle(() => {
      faults.clear();
      limiter.reset();
    }),
  );
  r.post(
    '/delay',
    handle((b) => faults.slow(int(b, 'ms'), optInt(b, 'count') ?? Infinity)),
  );

  r.get('/webhooks/events', (_req, res) => void res.json(emitter.events));
  r.get('/counters', (_req, res) => {
    res.json({
      requests: faults.requests,
      faulted: faults.faulted,
      rateLimited: limiter.limited,
      webhooks: { ...emitter.counters },
      offline: faults.offline,
    });
  });
  return r;
}
