// createLtiTool: ltijs on our database with the routes Canvas needs, built without listening
// (CONVENTIONS.md #18) so the relay and the tool can share one process.
import { createServer, type Server } from 'node:http';
import express, { type Express, type Request, type Response, type Router } from 'express';
import type { IdToken, ProviderInstance } from 'ltijs';
import { openLtiDatabase } from './db/database.js';
import { DeploymentStore } from './db/deployments.js';
import { deploymentGuard } from './launch/deployment-guard.js';
import { installPlatformStorage } from './launch/storage/index.js';
import { PlatformRegistry } from './platforms.js';
import { createProvider } from './provider.js';
import { dynamicRegistrationHandler } from './registration/dynamic.js';
import { configJsonHandler } from './routes/config-json.js';
import { ltijsRefusal } from './page/messages.js';
import { LINK_PATHS } from './page/render-links.js';
import { createCoursePage, type CoursePageOptions } from './page/router.js';
import { CANVAS_INTAKE_ROUTE, LTI_ROUTES } from './tool-description.js';
import { DELIVERIES_ROUTE } from './writer/router.js';

export interface LtiToolOptions {
  /** LTI_KEY: signs ltijs's cookies and tokens, encrypts the tool's private keys. */
  key: string;
  /** DATABASE_URL of the relay; ltijs's tables go with it (db/database.ts). */
  databaseUrl: string;
  /** LTI_PUBLIC_URL: the tool's address as Canvas and browsers reach it. */
  publicUrl: string;
  /** Answers a verified launch. @defaultValue the course page when `page` is set, else a page naming the course */
  onLaunch?: (token: IdToken, req: Request, res: Response) => unknown;
  /** The course page (page/): where the relay is and the tool's producer key. @defaultValue none */
  page?: CoursePageOptions;
  /** Unexpected failures of our routes. @defaultValue written to stderr */
  onError?: (error: unknown) => void;
  /**
   * Routers served ahead of ltijs: no LTI session, and their bodies untouched by ltijs's parsers
   * (the Live Events intake and the relay's deliveries read theirs as text). @defaultValue none
   */
  publicRouters?: Router[];
}

export interface LtiTool {
  /** The public routers, then ltijs's Express app with our routes: mount it, or `listen()`. */
  app: Express;
  provider: ProviderInstance;
  platforms: PlatformRegistry;
  /** Listens on `port` (0: any free port); resolves once listening. */
  listen(port: number, host?: string): Promise<Server>;
  /** Idempotent: stops listening (if asked to listen) and closes the database. */
  close(): Promise<void>;
}

/** Routes ltijs would guard with an LTI session that must answer without one. */
export const PUBLIC_ROUTES = [
  { route: LTI_ROUTES.config, method: 'GET' },
  { route: CANVAS_INTAKE_ROUTE, method: 'POST' },
  { route: DELIVERIES_ROUTE, method: 'POST' },
  // Discourse sends the browser back here from its approval page, without the ltik: the tool's
  // signed state and the browser's cookie stand for the launch (page/link-state.ts).
  { route: LINK_PATHS.callback, method: 'GET' },
] as const;

function defaultLaunch(token: IdToken, _req: Request, res: Response): void {
  const course = token.platformContext.context?.title ?? token.platformContext.context?.id ?? '';
  res.type('html').send(`<!doctype html><meta charset="utf-8"><title>Canvas Discourse Sync</title>
<p>Canvas Discourse Sync is installed${course ? ` for ${course.replace(/[<&]/g, '')}` : ''}.</p>`);
}

/** Umzug (ltijs-sequelize's migrations) reports on console.info: keep it off stdout. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = () => undefined;
  try {
    return await work();
  } finally {
    console.info = info;
  }
}

export async function createLtiTool(options: LtiToolOptions): Promise<LtiTool> {
  const onError =
    options.onError ??
    ((error: unknown) =>
      process.stderr.write(`lti-tool: ${String((error as Error).stack ?? error)}\n`));
  const database = openLtiDatabase(options.databaseUrl);
  const deployments = new DeploymentStore(database.db);
  // The registry needs the provider, and the provider's first middleware the registry (by then made).
  const provider = createProvider({
    key: options.key,
    database,
    publicUrl: options.publicUrl,
    beforeSession: (app) => {
      app.use((req, res, next) => deploymentGuard(platforms)(req, res, next));
      // Launches in a third-party iframe without cookies (launch/storage/).
      installPlatformStorage(app, {
        key: options.key,
        publicUrl: options.publicUrl,
        sequelize: database.db,
        loginRoute: LTI_ROUTES.login,
      });
    },
  });
  const platforms = new PlatformRegistry(provider, deployments);

  // Deliberately public; everything else keeps ltijs's guard.
  provider.whitelist(...PUBLIC_ROUTES.map((r) => ({ ...r })));
  provider.app.get(LTI_ROUTES.config, configJsonHandler(options.publicUrl));
  provider.onDynamicRegistration(dynamicRegistrationHandler(options.publicUrl, platforms, onError));
  const page =
    options.page &&
    createCoursePage(
      { publicUrl: options.publicUrl, secret: options.key, ...options.page },
      onError,
    );
  if (page) provider.app.use(page.router);
  const onLaunch = options.onLaunch ?? page?.onLaunch ?? defaultLaunch;
  provider.onConnect((token, req, res) => onLaunch(token, req, res));
  // Refused launches and ended sessions say why, in words, instead of ltijs's bare 401 JSON.
  provider.onInvalidToken(ltijsRefusal);
  provider.onSessionTimeout(ltijsRefusal);

  // What ltijs's deploy() does, minus its listen, its SIGINT handler and its process.exit.
  try {
    await quietly(() => database.setup());
  } catch (error) {
    await database.Close().catch(() => undefined);
    throw error;
  }

  const app = express();
  app.disable('x-powered-by');
  for (const router of options.publicRouters ?? []) app.use(router);
  app.use(provider.app);

  let server: Server | undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    provider,
    platforms,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const s = createServer(app);
        s.once('error', reject);
        s.listen(port, host, () => {
          server = s;
          resolve(s);
        });
      });
    },
    close() {
      return (closing ??= (async () => {
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => s.close(() => resolve()));
          s.closeAllConnections();
        }
        await database.Close();
      })());
    },
  };
}
