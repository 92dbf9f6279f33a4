// The Canvas simulator's HTTP server on 127.0.0.1: the REST API (throttled as Canvas throttles),
// the Live Events JWKS, the LTI 1.3 platform (test/sim/canvas/lti, when present), and the control
// API, over one CanvasState whose changes go out as Live Events.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import { LocalServer } from '../common/local-server.js';
import { createControlRouter, Faults } from './control.js';
import { LiveEventsKeys } from './live-events/keys.js';
import { LiveEventsSender, type SenderOptions } from './live-events/sender.js';
import { createRestRouter } from './rest/router.js';
import { RequestThrottle, type ThrottleSettings } from './rest/throttle.js';
import type { LtiPlatform } from './lti/index.js';
import { CanvasState } from './state.js';

export interface CanvasSimulatorOptions {
  /** The data to serve. @defaultValue a new, empty CanvasState */
  state?: CanvasState;
  /** The port to listen on. @defaultValue a free port */
  port?: number;
  /** The LTI platform's issuer. @defaultValue the simulator's URL */
  issuer?: string;
  /** Throttling settings (Canvas's defaults otherwise). */
  throttle?: Partial<ThrottleSettings>;
  /** Live Events retry and timeout settings. */
  liveEvents?: SenderOptions;
}

export interface CanvasSimulator {
  /** e.g. `http://127.0.0.1:43123` */
  url: string;
  state: CanvasState;
  sender: LiveEventsSender;
  keys: LiveEventsKeys;
  throttle: RequestThrottle;
  faults: Faults;
  /** The Live Events JWKS URL (previous, current and next keys). */
  liveEventsJwksUrl: string;
  /** The LTI 1.3 platform (test/sim/canvas/lti), mounted at `/`; undefined when not built. */
  lti: LtiPlatform | undefined;
  goOffline(mode: '503' | 'refuse', forMs?: number): Promise<void>;
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

/** The LTI platform's factory, as test/sim/canvas/lti/index.ts exports it. */
type CreateLtiPlatform = (state: CanvasState, options: { issuer: string }) => LtiPlatform;

/** Path of the Live Events JWKS (Canvas Data Services serves it at `.../main/jwks`). */
export const LIVE_EVENTS_JWKS_PATH = '/main/jwks';
/** The same JWKS under a Canvas-looking path. */
export const LIVE_EVENTS_JWKS_ALIAS = '/api/lti/live_events/jwks';

async function loadLtiPlatform(): Promise<CreateLtiPlatform | undefined> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (!existsSync(`${here}lti/index.ts`) && !existsSync(`${here}lti/index.js`)) return undefined;
  // A computed specifier: the platform is built separately and may not exist yet.
  const specifier = './lti/index.js';
  const mod = (await import(specifier)) as { createLtiPlatform?: CreateLtiPlatform };
  return mod.createLtiPlatform;
}

/** Starts the simulator; `close()` stops it. */
export async function startCanvasSimulator(
  options: CanvasSimulatorOptions = {},
): Promise<CanvasSimulator> {
  const state = options.state ?? new CanvasState();
  const keys = await LiveEventsKeys.create();
  const throttle = new RequestThrottle(options.throttle);
  const faults = new Faults();
  let url = '';
  let lti: LtiPlatform | undefined;

  const app = express();
  // `student_ids[]=all` and `submission[posted_grade]=8` parse as Rails parses them.
  app.set('query parser', 'extended');
  app.use(faults.middleware());
  const http = await LocalServer.start(app, faults, options.port);
  url = http.url;
  const host = `127.0.0.1:${http.port}`;

  const sender = new LiveEventsSender(
    state,
    keys,
    { hostname: host, baseUrl: url, rootAccountUuid: rootAccountUuid() },
    options.liveEvents,
  );

  const { goOffline, goOnline } = http;

  app.use(
    '/__control',
    createControlRouter({ state, sender, keys, throttle, faults, goOffline, goOnline }),
  );
  const jwks: RequestHandler = (_req, res) => void res.json(keys.jwks());
  app.get(LIVE_EVENTS_JWKS_PATH, jwks);
  app.get(LIVE_EVENTS_JWKS_ALIAS, jwks);
  app.use('/api', throttle.middleware());
  app.use(express.json(), express.urlencoded({ extended: true }));
  app.use(createRestRouter(state, () => url));
  app.use((req, res, next) => (lti ? lti.router(req, res, next) : next()));

  const createLtiPlatform = await loadLtiPlatform();
  if (createLtiPlatform) lti = createLtiPlatform(state, { issuer: options.issuer ?? url });

  let closing: Promise<void> | undefined;
  return {
    url,
    state,
    sender,
    keys,
    throttle,
    faults,
    liveEventsJwksUrl: `${url}${LIVE_EVENTS_JWKS_PATH}`,
    lti,
    goOffline,
    goOnline,
    close() {
      closing ??= (async () => {
        sender.close();
        await http.close();
      })();
      return closing;
    },
  };
}

/** Canvas's root account uuid is a 40-character opaque string. */
function rootAccountUuid(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 40 }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
}
