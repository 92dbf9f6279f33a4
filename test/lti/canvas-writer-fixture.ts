// Test fixture for the Canvas writer: the Canvas simulator (REST + LTI platform) with course 565
// and students 20001..20003 (the ids of the example events, exampleCanvasId), the LTI tool
// installed in it from its developer-key JSON and registered as a platform, the writer's
// POST /v1/deliveries on real HTTP, and a relay key (its JWKS served over HTTP) to sign deliveries.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  generateProducerKey,
  importSigner,
  signDelivery,
  type Delivery,
  type DeliveryItem,
  type EntityType,
  type Signer,
} from '@cds/shared';
import { createTestDatabase, type TestDatabase } from '@cds/relay/testing';
import { canvasToolConfiguration, createLtiTool, type LtiTool } from '@cds/lti-tool';
import {
  createCanvasWriter,
  ltijsCredentials,
  type Applier,
  type CanvasWriterHandle,
} from '../../lti-tool/src/writer/index.js';
import { startCanvasSimulator, type CanvasSimulator } from '../sim/canvas/server.js';
import { issueAccessToken } from '../sim/canvas/mutations.js';
import type { CanvasState } from '../sim/canvas/state.js';
import { freePort } from '../support/ports.js';

export const COURSE = 565;
export const STUDENTS = [20001, 20002, 20003];
/** The account admin whose access token is the writer's CANVAS_API_TOKEN, when it has one. */
export const ADMIN = 30001;

/**
 * An example forum post's item with the links the relay resolves for it (DESIGN.md 3b): category
 * 12 is course 565 (global id on shard 2107), Discourse users 1000..1004 are Canvas users
 * 20000..20004 (the fixture's students). Other categories and users get no link.
 */
export function withForumLinks(item: DeliveryItem): DeliveryItem {
  if (item.entity !== 'forum_post') return item;
  const post = item.value as { category_id?: unknown; user_id?: unknown; username?: unknown };
  const user = typeof post.user_id === 'number' ? post.user_id : -1;
  return {
    ...item,
    links: {
      ...(post.category_id === 12 && {
        course: {
          course_id: String(21070000000000000n + BigInt(COURSE)),
          category_id: 12,
          group_id: 41,
          group_name: 'course-565',
        },
      }),
      ...(user >= 1000 &&
        user < 1005 && {
          user: {
            canvas_user_id: String(20000 + user - 1000),
            discourse_user_id: user,
            discourse_username: String(post.username),
          },
        }),
    },
  };
}

async function serve(app: express.Express, port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A Canvas user `id` with these names, created at `created_at`, mailed at `<login_id>@example.edu`. */
function putUser(
  state: CanvasState,
  id: number,
  created_at: string,
  names: { name: string; sortable_name: string; short_name: string; login_id: string },
): void {
  state.users.set(id, {
    id,
    ...names,
    email: `${names.login_id}@example.edu`,
    sis_user_id: null,
    lti_id: `lti-user-${id}`,
    avatar_url: 'https://canvas.instructure.com/images/messages/avatar-50.png',
    created_at,
  });
}

function seed(state: CanvasState): void {
  const now = state.time();
  state.courses.set(COURSE, {
    id: COURSE,
    name: 'Algorithms',
    course_code: 'ALG-101',
    workflow_state: 'available',
    account_id: state.accountId,
    uuid: 'course-uuid-565',
    sis_course_id: null,
    created_at: now,
  });
  for (const id of STUDENTS) {
    putUser(state, id, now, {
      name: `Ada Student ${id}`,
      sortable_name: `Student ${id}, Ada`,
      short_name: 'Ada',
      login_id: `ada${id}`,
    });
    const enrollment = state.id();
    state.enrollments.set(enrollment, {
      id: enrollment,
      course_id: COURSE,
      user_id: id,
      type: 'StudentEnrollment',
      enrollment_state: 'active',
      created_at: now,
      updated_at: now,
    });
  }
}

export interface WriterFixture {
  sim: CanvasSimulator;
  tool: LtiTool;
  writer: CanvasWriterHandle;
  /** POST /v1/deliveries on the writer's own server. */
  deliveriesUrl: string;
  relay: Signer;
  /** The writer's CANVAS_API_TOKEN (an account admin's, user ADMIN), when it was given one. */
  apiToken?: string;
  /** Signs a delivery with the relay's key (or `signer`), as the relay's webhook connector does. */
  sign(delivery: Delivery, options?: { signer?: Signer; now?: number }): Promise<string>;
  /** POSTs a delivery as the relay does; `idempotencyKey` defaults to its id. */
  post(
    delivery: Delivery,
    options?: { signer?: Signer; now?: number; idempotencyKey?: string },
  ): Promise<{ status: number; body: unknown; retryAfter: string | null }>;
  close(): Promise<void>;
}

export interface WriterFixtureOptions {
  database: TestDatabase;
  onSyncRequest?: (courseId: string) => Promise<void>;
  appliers?: (
    defaults: Partial<Record<EntityType, Applier>>,
  ) => Partial<Record<EntityType, Applier>>;
  /** Give the writer a CANVAS_API_TOKEN (an account admin's) for its REST writes. */
  canvasApiToken?: boolean;
}

/** An account admin with a REST access token (as a developer key's OAuth2 flow would give). */
function adminToken(state: CanvasState): string {
  const now = state.time();
  putUser(state, ADMIN, now, {
    name: 'Canvas Admin',
    sortable_name: 'Admin, Canvas',
    short_name: 'Admin',
    login_id: 'admin',
  });
  state.accountAdmins.add(ADMIN);
  return issueAccessToken(state, ADMIN);
}

export async function startWriterFixture(options: WriterFixtureOptions): Promise<WriterFixture> {
  const sim = await startCanvasSimulator();
  seed(sim.state);
  const lti = sim.lti;
  if (!lti) throw new Error('the Canvas simulator has no LTI platform');

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const tool = await createLtiTool({
    key: 'test-lti-key-0123456789abcdef',
    databaseUrl: options.database.url,
    publicUrl,
  });
  await tool.listen(port);
  const { registration, deployment } = lti.installTool(
    canvasToolConfiguration(publicUrl) as unknown as Parameters<typeof lti.installTool>[0],
  );
  await tool.platforms.add({
    issuer: sim.url,
    clientId: registration.clientId,
    deploymentIds: [deployment.deploymentId],
    authUrl: `${sim.url}/api/lti/authorize_redirect`,
    tokenUrl: `${sim.url}/login/oauth2/token`,
    jwksUrl: `${sim.url}/api/lti/security/jwks`,
  });

  const pair = await generateProducerKey('cds-relay', ['manual']);
  const relay = await importSigner(pair.privateJwk, 'cds-relay');
  const jwksApp = express();
  jwksApp.get('/.well-known/jwks.json', (_req, res) => void res.json({ keys: [pair.publicJwk] }));
  const jwks = await serve(jwksApp);

  const apiToken = options.canvasApiToken ? adminToken(sim.state) : undefined;
  const writer = await createCanvasWriter({
    databaseUrl: options.database.url,
    canvasUrl: sim.url,
    canvasApiToken: apiToken,
    relayKeys: `${jwks.url}/.well-known/jwks.json`,
    credentials: ltijsCredentials(tool.provider),
    onSyncRequest: options.onSyncRequest,
    appliers: options.appliers,
    onError: () => undefined,
  });
  const app = express();
  app.use(writer.router);
  const receiver = await serve(app);
  const deliveriesUrl = `${receiver.url}/v1/deliveries`;

  const sign = (delivery: Delivery, o: { signer?: Signer; now?: number } = {}) =>
    signDelivery(delivery, o.signer ?? relay, { now: o.now });
  return {
    sim,
    tool,
    writer,
    deliveriesUrl,
    relay,
    apiToken,
    sign,
    async post(delivery, o = {}) {
      const response = await fetch(deliveriesUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/jose',
          'idempotency-key': o.idempotencyKey ?? delivery.id,
        },
        body: await sign(delivery, o),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? (JSON.parse(text) as unknown) : null,
        retryAfter: response.headers.get('retry-after'),
      };
    },
    async close() {
      for (const server of [receiver.server, jwks.server]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await writer.close();
      await tool.close();
      await sim.close();
    },
  };
}

export { createTestDatabase };
