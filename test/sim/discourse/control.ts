// The simulator's control API, for tests and the demo, under /__control (not a Discourse path):
// build the site (users, groups, categories, badges, topics and posts: each emits the webhooks a
// real change would), settings (retry_web_hook_events, allowed auth redirects), the User API key
// approval step, and the faults a production Discourse shows: an outage (503 or refused
// connections), injected 5xx or 429 answers, slow answers; plus counters.
import express, { Router } from 'express';
import {
  controlHandler,
  InputError,
  int,
  optBool,
  optInt,
  optText,
  text,
  type Body,
} from '../common/control-input.js';
import { addOutageRoutes } from '../common/control-outage.js';
import { SimulatorFaults } from '../common/faults.js';
import * as m from './mutations.js';
import type { RateLimiter } from './rest/auth.js';
import * as s from './rest/serializers.js';
import { approve, type PendingAuthorizations } from './rest/user-api-keys.js';
import type { DiscourseState } from './state.js';
import type { WebhookEmitter } from './webhooks/emitter.js';

/** The faults every non-control request goes through, answered as Discourse answers errors. */
export class Faults extends SimulatorFaults {
  constructor() {
    // Rails' JSON answer to an unhandled exception.
    super((status) => ({ status, error: 'Internal Server Error' }));
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

function userId(state: DiscourseState, b: Body, name = 'username'): number {
  const u = state.userByUsername(text(b, name));
  if (!u) throw new m.DiscourseError(404, [`no user ${String(b[name])}`]);
  return u.id;
}

export function createControlRouter(deps: ControlDeps): Router {
  const { state, emitter, limiter, faults } = deps;
  const r = Router();
  r.use(express.json());
  const handle = controlHandler(m.DiscourseError);

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
  addOutageRoutes(r, handle, deps, (b) => (b.mode === 'refuse' ? 'refuse' : '503'));
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
