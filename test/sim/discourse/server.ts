// The Discourse simulator's HTTP server on 127.0.0.1: the REST API (Api-Key / User-Api-Key,
// rate limited as Discourse limits), the admin webhooks API, the User API key flow and the
// control API, over one DiscourseState whose changes go out as webhooks.
import express from 'express';
import { LocalServer } from '../common/local-server.js';
import { createControlRouter, Faults } from './control.js';
import * as m from './mutations.js';
import { authenticate, RateLimiter, type RateLimits } from './rest/auth.js';
import { createRestRouter, discourseErrors } from './rest/router.js';
import { createUserApiKeyRouter, PendingAuthorizations } from './rest/user-api-keys.js';
import { DiscourseState } from './state.js';
import { createWebHooksRouter } from './webhooks/admin.js';
import { WebhookEmitter, type EmitterOptions } from './webhooks/emitter.js';

export interface DiscourseSimulatorOptions {
  /** The data to serve. @defaultValue a new DiscourseState with a `system` admin */
  state?: DiscourseState;
  /** The port to listen on. @defaultValue a free port */
  port?: number;
  /** API rate limits (Discourse's defaults otherwise: 60 admin, 20 user API requests a minute). */
  rateLimits?: Partial<RateLimits>;
  /** Webhook retry timing. */
  webhooks?: EmitterOptions;
  /** Approve User API key requests at once as this user (no approval step). */
  autoApproveUserApiKeysAs?: string;
}

export interface DiscourseSimulator {
  /** e.g. `http://127.0.0.1:43123` */
  url: string;
  state: DiscourseState;
  /** The webhook deliveries (counters, events, settle()). */
  webhooks: WebhookEmitter;
  /** An admin API key for the `system` user (use with `Api-Username: system`). */
  apiKey: string;
  limiter: RateLimiter;
  faults: Faults;
  pendingUserApiKeys: PendingAuthorizations;
  goOffline(mode: '503' | 'refuse', forMs?: number): Promise<void>;
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

export async function startDiscourseSimulator(
  options: DiscourseSimulatorOptions = {},
): Promise<DiscourseSimulator> {
  const state = options.state ?? new DiscourseState();
  // Every Discourse site has the `system` admin (user id -1 there; an ordinary id here).
  if (!state.userByUsername('system')) {
    m.createUser(state, {
      username: 'system',
      name: 'system',
      admin: true,
      moderator: true,
      trust_level: 4,
    });
  }
  m.uncategorized(state);
  const apiKey = state.issueApiKey(null, 'simulator admin (all users)');
  const limiter = new RateLimiter(options.rateLimits);
  const faults = new Faults();
  const pending = new PendingAuthorizations();
  let url = '';
  const webhooks = new WebhookEmitter(state, () => url, options.webhooks);

  const app = express();
  app.set('query parser', 'extended');
  app.use(faults.middleware());
  const http = await LocalServer.start(app, faults, options.port);
  url = http.url;
  const { goOffline, goOnline } = http;

  app.use(
    '/__control',
    createControlRouter({
      state,
      emitter: webhooks,
      limiter,
      faults,
      pending,
      goOffline,
      goOnline,
    }),
  );
  app.use(express.json(), express.urlencoded({ extended: true }));
  // Rails routes answer with or without `.json`.
  app.use((req, _res, next) => {
    req.url = req.url.replace(/\.json(?=\?|$)/, '');
    next();
  });
  app.use(authenticate(state, limiter));
  app.use(createUserApiKeyRouter(state, pending, () => options.autoApproveUserApiKeysAs));
  app.use(createWebHooksRouter(state, webhooks));
  app.use(createRestRouter(state));
  app.use((_req, res) => {
    res.status(404).json({
      errors: ['The requested URL or resource could not be found.'],
      error_type: 'not_found',
    });
  });
  app.use(discourseErrors());

  let closing: Promise<void> | undefined;
  return {
    url,
    state,
    webhooks,
    apiKey,
    limiter,
    faults,
    pendingUserApiKeys: pending,
    goOffline,
    goOnline,
    close() {
      closing ??= (async () => {
        webhooks.close();
        await http.close();
      })();
      return closing;
    },
  };
}
