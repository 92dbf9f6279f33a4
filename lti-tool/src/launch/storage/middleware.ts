// Launches without cookies, through the platform's storage (IMS client-side OIDC state), around
// ltijs 5.9.9's own flow (src/Provider/Provider.js), which stays as it is for browsers that keep
// cookies:
// 1. login initiation with `lti_storage_target`: ltijs picks the state and nonce, sets its state
//    cookie and redirects to the platform; we record the login and answer instead a page that
//    stores the state and nonce in the platform's storage, then goes on to the same URL;
// 2. the id_token form_post: with ltijs's state cookie, ltijs handles it. Without it, we hold the
//    id_token and answer a page that reads the state and nonce back from the platform's storage
//    and posts them to the tool from the tool's own origin;
// 3. that post: the login is used up (once, in time), the stored state must be the posted state and
//    the stored nonce the login's nonce and the id_token's; only then does ltijs see the launch,
//    with the state cookie it would have had; its answer (the ltik) is marked as cookie-less;
// 4. later requests with a marked, unexpired ltik get the session cookie it stands for.
// ltijs verifies the id_token itself (signature, issuer against the login's, audience, age, nonce
// replay) exactly as with cookies. Canvas: https://canvas.instructure.com/doc/api/file.lti_launch_overview.html
import type { Express, NextFunction, Request, Response } from 'express';
import type { Sequelize } from 'sequelize';
import { Forbidden } from '@cds/shared';
import { refuse } from '../deployment-guard.js';
import { markLtik, cookielessSession } from './ltik.js';
import { LoginStore } from './logins.js';
import { launchPage, loginPage } from './pages.js';
import {
  COOKIELESS_SESSION_SECONDS,
  LOGIN_TTL_MS,
  nonceKey,
  RETURN_FIELDS,
  stateKey,
  STORAGE_ANSWER_MS,
  validStorageTarget,
} from './protocol.js';

export interface PlatformStorageOptions {
  /** LTI_KEY: ltijs signs its ltiks and cookies with it. */
  key: string;
  /** LTI_PUBLIC_URL: the tool's origin, the only one the launch page's answer may come from. */
  publicUrl: string;
  /** ltijs's Sequelize instance (ltijs-sequelize's `db`), where pending logins are kept. */
  sequelize: Sequelize;
  /** ltijs's login route. */
  loginRoute: string;
  /** @defaultValue LOGIN_TTL_MS */
  loginTtlMs?: number;
  /** @defaultValue COOKIELESS_SESSION_SECONDS */
  sessionSeconds?: number;
  /** How long the pages wait for the storage frame. @defaultValue STORAGE_ANSWER_MS */
  answerTimeoutMs?: number;
  now?: () => number;
}

type Fields = Record<string, unknown>;

const OPEN_AGAIN = 'Open the tool again from the course navigation in Canvas.';

const badState = (why: string) =>
  new Forbidden(`Launch refused: bad state. ${why}, so it could be a forged launch. ${OPEN_AGAIN}`);

function fieldsOf(req: Request): Fields {
  return { ...(req.query as Fields), ...((req.body ?? {}) as Fields) };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The id_token's nonce, unverified: ltijs verifies the token right after. */
function nonceOf(idToken: string): string | undefined {
  try {
    const claims = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { nonce?: unknown };
    return str(claims.nonce);
  } catch {
    return undefined;
  }
}

/** The auth request ltijs redirects to: its state, nonce and origin; undefined if it is not one. */
export function authRequestOf(
  location: string,
): { state: string; nonce: string; origin: string } | undefined {
  try {
    const url = new URL(location);
    const state = str(url.searchParams.get('state'));
    const nonce = str(url.searchParams.get('nonce'));
    if (!state || !nonce || !/^https?:$/.test(url.protocol)) return undefined;
    return { state, nonce, origin: url.origin };
  } catch {
    return undefined;
  }
}

/**
 * Whether a post comes from a page of the tool's own origin: the browser's Origin header (or, when
 * a browser leaves it out, Sec-Fetch-Site). A cross-site form cannot forge either.
 */
export function fromToolOrigin(req: Request, toolOrigin: string): boolean {
  const origin = req.get('origin');
  if (origin !== undefined) return origin === toolOrigin;
  return req.get('sec-fetch-site') === 'same-origin';
}

/** The ltik's state-cookie name, as ltijs names it. */
const stateCookie = (state: string) => `state${state}`;

function signedCookies(req: Request): Record<string, unknown> {
  const r = req as Request & { signedCookies?: Record<string, unknown> };
  r.signedCookies ??= {};
  return r.signedCookies;
}

/** Replaces `res.redirect` for one response; `onRedirect` decides what is sent instead. */
function interceptRedirect(
  res: Response,
  onRedirect: (location: string, redirect: (location: string) => void) => boolean,
): void {
  const original = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = function (this: Response, ...args: unknown[]) {
    const location = args.find((a): a is string => typeof a === 'string');
    if (location !== undefined && onRedirect(location, (to) => original(302, to))) return;
    original(...args);
  } as Response['redirect'];
}

export function installPlatformStorage(app: Express, options: PlatformStorageOptions): void {
  const now = options.now ?? Date.now;
  const logins = new LoginStore(options.sequelize, options.loginTtlMs ?? LOGIN_TTL_MS);
  const toolOrigin = new URL(options.publicUrl).origin;
  const timeoutMs = options.answerTimeoutMs ?? STORAGE_ANSWER_MS;
  const sessionSeconds = options.sessionSeconds ?? COOKIELESS_SESSION_SECONDS;

  // 1. The login initiation.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path !== options.loginRoute) return next();
    const fields = fieldsOf(req);
    const target = fields.lti_storage_target;
    const issuer = str(fields.iss);
    if (!validStorageTarget(target) || !issuer) return next();
    interceptRedirect(res, (location) => {
      const auth = authRequestOf(location);
      if (!auth) return false;
      logins
        .add(
          {
            state: auth.state,
            nonce: auth.nonce,
            issuer,
            platformOrigin: auth.origin,
            target,
          },
          now(),
        )
        .then(() => {
          res
            .type('html')
            .set('Cache-Control', 'no-store')
            .send(
              loginPage({
                next: location,
                platformOrigin: auth.origin,
                target,
                items: [
                  { key: stateKey(auth.state), value: auth.state },
                  { key: nonceKey(auth.nonce), value: auth.nonce },
                ],
                timeoutMs,
              }),
            );
        }, next);
      return true;
    });
    next();
  });

  // 2 and 3. The id_token form_post, and our launch page's answer.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const body = (req.body ?? {}) as Fields;
    const state = str(body.state);
    try {
      if (body[RETURN_FIELDS.marker] !== undefined) {
        if (!fromToolOrigin(req, toolOrigin)) {
          return refuse(
            res,
            new Forbidden(
              `Launch refused: the launch's confirmation did not come from this tool's own page (origin ${req.get('origin') ?? 'unknown'}), so it could be a forged launch. ${OPEN_AGAIN}`,
            ),
          );
        }
        if (!state) return refuse(res, badState('The launch names no state'));
        return await completeLaunch(req, res, next, state, body);
      }
      const idToken = str(body.id_token);
      if (!idToken || !state) return next();
      if (signedCookies(req)[stateCookie(state)]) {
        // The cookie's way: ltijs as it is. The login's record is not needed any more.
        void logins.drop(state).catch(() => undefined);
        return next();
      }
      const login = await logins.peek(state, now());
      // No login of ours: ltijs refuses it (MISSING_VALIDATION_COOKIE) with its reason.
      if (!login) return next();
      if (!(await logins.holdIdToken(state, idToken))) {
        return refuse(res, badState('This launch was already posted once'));
      }
      const target = validStorageTarget(body.lti_storage_target)
        ? body.lti_storage_target
        : login.target;
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send(
          launchPage({
            action: req.originalUrl,
            state,
            platformOrigin: login.platformOrigin,
            target,
            stateKey: stateKey(state),
            nonceKey: nonceKey(login.nonce),
            timeoutMs,
          }),
        );
    } catch (error) {
      next(error);
    }
  });

  async function completeLaunch(
    req: Request,
    res: Response,
    next: NextFunction,
    state: string,
    body: Fields,
  ): Promise<void> {
    // Used up whatever follows: a state is tried once.
    const taken = await logins.take(state, now());
    if (!taken) {
      return refuse(
        res,
        badState(
          'No login with this state is waiting (it was already used, or never started here)',
        ),
      );
    }
    const { login, expired } = taken;
    if (expired) return refuse(res, badState('The login started too long ago'));
    if (!login.idToken) return refuse(res, badState('The platform posted no id_token for it'));
    const storedState = str(body[RETURN_FIELDS.state]);
    const storedNonce = str(body[RETURN_FIELDS.nonce]);
    const problem = str(body[RETURN_FIELDS.problem]);
    if (storedState !== state) {
      return refuse(
        res,
        badState(
          storedState === undefined
            ? `The platform's storage in this browser holds no state for this launch${problem ? ` (${problem})` : ''} and the browser kept no cookie`
            : "The state the platform's storage in this browser holds is not this launch's",
        ),
      );
    }
    const tokenNonce = nonceOf(login.idToken);
    if (storedNonce !== login.nonce || tokenNonce !== login.nonce) {
      return refuse(
        res,
        new Forbidden(
          `Launch refused: the id_token's nonce is not the one this browser's login sent, so it could be a replayed or forged launch. ${OPEN_AGAIN}`,
        ),
      );
    }
    // ltijs goes on as if the browser had kept its state cookie: it checks the issuer against it.
    req.body = { id_token: login.idToken, state };
    signedCookies(req)[stateCookie(state)] = login.issuer;
    interceptRedirect(res, (location, redirect) => {
      const url = new URL(location, toolOrigin);
      const ltik = url.searchParams.get('ltik');
      const marked = ltik && markLtik(ltik, options.key, Math.floor(now() / 1000) + sessionSeconds);
      if (!marked) return false;
      url.searchParams.set('ltik', marked);
      redirect(`${url.pathname}${url.search}`);
      return true;
    });
    next();
  }

  // 4. Requests of a session opened without cookies.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const ltik = (req as Request & { token?: unknown }).token;
    if (typeof ltik !== 'string') return next();
    const session = cookielessSession(ltik, options.key, Math.floor(now() / 1000));
    const cookies = signedCookies(req);
    if (session && !cookies[session.platformCode]) cookies[session.platformCode] = session.user;
    next();
  });
}
