// The Canvas writer: the LTI tool's POST /v1/deliveries, writing the relay's Canvas-bound events to
// Canvas through LTI Advantage with the platform's credentials (the key ltijs made for it), and
// through Canvas REST with CANVAS_API_TOKEN for pages, announcements and profiles.
import type { Router } from 'express';
import type { LtiPlatform, ProviderInstance } from 'ltijs';
import { InvalidConfig, type DeliveryKeys, type EntityType } from '@cds/shared';
import { CanvasAgs } from './ags.js';
import { canvasAppliers, type Applier } from './appliers.js';
import { CanvasClient, type PlatformCredentials } from './canvas-client.js';
import { CanvasRestWrites, type CanvasRestTuning } from './rest.js';
import { canvasDeliveriesRouter } from './router.js';
import { WriterStore } from './store.js';
import { CanvasWriter } from './writer.js';

export { DELIVERIES_ROUTE, canvasDeliveriesRouter } from './router.js';
export type { Applier, ApplyContext } from './appliers.js';
export { canvasAppliers } from './appliers.js';
export type { PlatformCredentials } from './canvas-client.js';
export type { CanvasRestTuning } from './rest.js';
export { WriterStore } from './store.js';

/** What ltijs's Platform offers beyond our typings (src/Utils/Platform.js in ltijs 5.9). */
interface ServicePlatform extends LtiPlatform {
  platformPrivateKey(): Promise<string>;
  platformAuthorizationServer(): Promise<string>;
}

/**
 * The credentials of the platform that writes: the one named, or the only one registered. Read
 * on each token request, so a platform registered after start is used at once.
 */
export function ltijsCredentials(
  provider: Pick<ProviderInstance, 'getAllPlatforms'>,
  which: { issuer?: string; clientId?: string } = {},
): () => Promise<PlatformCredentials> {
  return async () => {
    const all = (await provider.getAllPlatforms()) as ServicePlatform[];
    const matching: ServicePlatform[] = [];
    for (const p of all) {
      if (which.issuer && (await p.platformUrl()) !== which.issuer) continue;
      if (which.clientId && (await p.platformClientId()) !== which.clientId) continue;
      matching.push(p);
    }
    const platform = matching[0];
    if (!platform || matching.length > 1)
      throw new InvalidConfig(
        matching.length > 1
          ? `${matching.length} LTI platforms are registered: set CANVAS_PLATFORM_ISSUER and CANVAS_PLATFORM_CLIENT_ID to the one that writes to Canvas`
          : 'no LTI platform is registered to write to Canvas with: run `cds lti platforms add`',
      );
    return {
      clientId: await platform.platformClientId(),
      tokenUrl: await platform.platformAccessTokenEndpoint(),
      audience: await platform.platformAuthorizationServer(),
      kid: await platform.platformKid(),
      privateKeyPem: await platform.platformPrivateKey(),
    };
  };
}

export interface CanvasWriterOptions {
  /** DATABASE_URL: the writer's tables go with the relay's. */
  databaseUrl: string;
  canvasUrl: string;
  relayKeys: DeliveryKeys;
  credentials: () => Promise<PlatformCredentials>;
  /** What "Sync now" does for a course (see ApplierOptions.onSyncRequest). */
  onSyncRequest?: (courseId: string) => Promise<void>;
  forumPostsForFullMarks?: number;
  retryAfterMs?: number;
  /**
   * CANVAS_API_TOKEN: a Canvas access token for the REST writes (pages and announcements need a
   * teacher's or admin's; profiles an admin's). Without it content_edit and profile events are
   * refused with a reason naming the setting.
   */
  canvasApiToken?: string;
  /** Timeouts and pacing of those REST calls (each is tried once; the relay retries). */
  restTuning?: CanvasRestTuning;
  /** Replace or add appliers by entity (an institution's own writes). */
  appliers?: (
    defaults: Partial<Record<EntityType, Applier>>,
  ) => Partial<Record<EntityType, Applier>>;
  maxAgeMs?: number;
  onError?: (error: unknown) => void;
}

export interface CanvasWriterHandle {
  /** Serves POST /v1/deliveries: mount it on the tool's app, as a public (ltijs-unguarded) route. */
  router: Router;
  close(): Promise<void>;
}

export async function createCanvasWriter(
  options: CanvasWriterOptions,
): Promise<CanvasWriterHandle> {
  const store = await WriterStore.open(options.databaseUrl);
  const client = new CanvasClient({
    credentials: options.credentials,
    retryAfterMs: options.retryAfterMs,
  });
  const canvasUrl = options.canvasUrl.replace(/\/+$/, '');
  const ags = new CanvasAgs(client, canvasUrl);
  const rest = options.canvasApiToken
    ? new CanvasRestWrites(
        { baseUrl: canvasUrl, token: options.canvasApiToken, tuning: options.restTuning },
        options.retryAfterMs ?? 30_000,
      )
    : undefined;
  const defaults = canvasAppliers({
    onSyncRequest: options.onSyncRequest,
    forumPostsForFullMarks: options.forumPostsForFullMarks,
    rest,
  });
  const writer = new CanvasWriter({
    store,
    ags,
    client,
    appliers: options.appliers ? options.appliers(defaults) : defaults,
  });
  return {
    router: canvasDeliveriesRouter({
      writer,
      relayKeys: options.relayKeys,
      maxAgeMs: options.maxAgeMs,
      onError: options.onError,
    }),
    close: () => store.close(),
  };
}
