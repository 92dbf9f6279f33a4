// The whole LTI tool from its settings: ltijs and the course page, the Live Events intake, the
// outbox and its sender to the relay, the REST poller and the Canvas writer, built without
// listening (CONVENTIONS.md #18) and closed in order. Optional parts are left out, and said so,
// when their settings are missing.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { openStore, type Store } from '@cds/relay';
import type { Signer } from '@cds/shared';
import {
  canvasIntakeRouter,
  createLiveEventsVerifier,
  type CanvasIntakeRouter,
} from '../intake/index.js';
import { loadProducerSigner } from '../page/producer-key.js';
import {
  CanvasRest,
  restCanvasLookup,
  startCanvasPoller,
  type CanvasPoller,
  type CanvasRestOptions,
} from '../poller/index.js';
import {
  CanvasOutbox,
  createRelaySender,
  type RelaySender,
  type RelaySenderOptions,
} from '../sender/index.js';
import type { LtiSettings } from '../settings.js';
import { createLtiTool, type LtiTool } from '../tool.js';
import { createCanvasWriter, ltijsCredentials, type CanvasWriterHandle } from '../writer/index.js';
import { deliveriesUnavailable } from './unavailable.js';

/** Where the tool says what it runs and what it leaves out (pino's logger fits). */
export interface ToolLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface StartLtiToolOptions {
  settings: LtiSettings;
  /** The relay's store, when both share a process. @defaultValue one opened on settings.databaseUrl */
  store?: Store;
  /** The tool's producer key. @defaultValue read from settings.toolKeyPath (LTI_TOOL_KEY) */
  signer?: Signer;
  /** @defaultValue lines on stdout and stderr */
  log?: ToolLog;
  /** Unexpected failures of routes and loops. @defaultValue log.warn */
  onError?: (error: unknown) => void;
  /** Timing of the moving parts (tests shorten it). @defaultValue each part's own */
  tuning?: {
    sender?: Omit<RelaySenderOptions, 'outbox' | 'signer' | 'relayUrl'>;
    rest?: Omit<CanvasRestOptions, 'baseUrl' | 'token'>;
    /** Least time between two fetches of Canvas's Live Events JWKS for an unknown kid. */
    jwksCooldownMs?: number;
    /** How old a relay delivery may be. */
    deliveryMaxAgeMs?: number;
  };
}

export interface RunningLtiTool {
  /** Public routes first (intake, deliveries), then ltijs with the course page. */
  app: Express;
  tool: LtiTool;
  outbox: CanvasOutbox;
  sender: RelaySender;
  intake: CanvasIntakeRouter;
  /** Set when CANVAS_URL and CANVAS_API_TOKEN are. */
  poller?: CanvasPoller;
  /** Set when CANVAS_URL is. */
  writer?: CanvasWriterHandle;
  listen(port: number, host?: string): Promise<Server>;
  /** Idempotent: poller, server and ltijs, sender, writer, then the store if the tool opened it. */
  close(): Promise<void>;
}

const stdoutLog: ToolLog = {
  info: (message) => void process.stdout.write(`lti-tool: ${message}\n`),
  warn: (message) => void process.stderr.write(`lti-tool: ${message}\n`),
};

/** How long the outbox keeps rows already taken by the relay, and how often it drops older ones. */
const OUTBOX_KEEP_MS = 7 * 24 * 3600_000;
const OUTBOX_PRUNE_EVERY_MS = 3600_000;

/** Builds every part of the tool and starts its loops (sender, poller); `listen` serves it. */
export async function startLtiTool(options: StartLtiToolOptions): Promise<RunningLtiTool> {
  const { settings, tuning = {} } = options;
  const log = options.log ?? stdoutLog;
  const onError =
    options.onError ?? ((error: unknown) => log.warn(String((error as Error)?.stack ?? error)));
  const signer = options.signer ?? (await loadProducerSigner(settings.toolKeyPath));
  const ownStore = options.store ? undefined : await openStore(settings.databaseUrl);
  const store = options.store ?? ownStore!;
  // Each step that succeeded, undone in reverse if a later one fails.
  const undo: Array<() => Promise<unknown>> = ownStore ? [() => ownStore.close()] : [];
  try {
    const outbox = await CanvasOutbox.open(store);
    const sender = createRelaySender({
      ...tuning.sender,
      outbox,
      signer,
      relayUrl: settings.relayUrl,
      onError: (message) => log.warn(`sending to the relay: ${message}`),
    });

    const { url: canvasUrl, apiToken } = settings.canvas;
    const rest =
      canvasUrl && apiToken
        ? new CanvasRest({ ...tuning.rest, baseUrl: canvasUrl, token: apiToken })
        : undefined;
    if (!settings.liveEvents.jwksUrl && !settings.liveEvents.allowUnsigned)
      log.warn(
        'signed Live Events are refused until CANVAS_LIVE_EVENTS_JWKS_URL is set (Canvas Live Events JWKS)',
      );
    // The mapping takes a course's local id (as Canvas's pages show it) or its global one.
    const mapOptions = { certificateCourses: settings.certificateCourses };
    const intake = canvasIntakeRouter({
      mapOptions,
      verify: createLiveEventsVerifier({
        jwksUrl: settings.liveEvents.jwksUrl,
        allowUnsigned: settings.liveEvents.allowUnsigned,
        jwksCooldownMs: tuning.jwksCooldownMs,
      }),
      outbox,
      lookup: rest && restCanvasLookup(rest),
      onStored: sender.wake,
      onError: (error) => log.warn(`Live Events intake: ${error.message}`),
    });

    // ltijs's provider exists only once the tool does; the writer asks it per token request.
    let writer: CanvasWriterHandle | undefined;
    let poller: CanvasPoller | undefined;
    if (canvasUrl) {
      writer = await createCanvasWriter({
        databaseUrl: settings.databaseUrl,
        canvasUrl,
        relayKeys: settings.writer.relayJwksUrl,
        credentials: ltijsCredentials(
          { getAllPlatforms: () => tool.provider.getAllPlatforms() },
          settings.writer.platform,
        ),
        // "Sync now" reaches the tool as a delivery: one back-fill of that course over REST.
        onSyncRequest: rest
          ? async (course) => {
              await poller?.pollCourse(course);
            }
          : undefined,
        // Pages, announcements and profiles go through Canvas REST with the same token.
        canvasApiToken: apiToken,
        restTuning: tuning.rest,
        forumPostsForFullMarks: settings.writer.forumPostsForFullMarks,
        retryAfterMs: settings.writer.retryAfterMs,
        maxAgeMs: tuning.deliveryMaxAgeMs,
        onError,
      });
      const w = writer;
      undo.push(() => w.close());
    } else
      log.warn(
        'Canvas writes are off: POST /v1/deliveries answers 503 until CANVAS_URL is set (your Canvas, e.g. https://school.instructure.com)',
      );

    const tool = await createLtiTool({
      key: settings.key,
      databaseUrl: settings.databaseUrl,
      publicUrl: settings.publicUrl,
      page: { relayUrl: settings.relayUrl, signer, shardId: settings.shardId },
      onError,
      publicRouters: [
        intake,
        writer?.router ??
          deliveriesUnavailable(
            'the LTI tool cannot write to Canvas: set CANVAS_URL to your Canvas (e.g. https://school.instructure.com)',
          ),
      ],
    });
    undo.push(() => tool.close());

    // The loops start last: nothing above can fail after them.
    sender.start();
    // Sent rows are kept a week for diagnosis, then dropped (the dedupe state lives elsewhere).
    const pruner = setInterval(() => {
      outbox.prune(OUTBOX_KEEP_MS).catch((error: unknown) => onError(error));
    }, OUTBOX_PRUNE_EVERY_MS);
    pruner.unref();
    if (rest) {
      poller = startCanvasPoller({
        rest,
        outbox,
        courses: () => settings.poll.courses,
        mapOptions,
        shardId: settings.shardId,
        intervalMs: settings.poll.intervalMs,
        onStored: sender.wake,
        onError: (message) => log.warn(`Canvas poller: ${message}`),
      });
      if (settings.poll.courses.length === 0)
        log.warn('the Canvas poller watches no course: set CANVAS_POLL_COURSES to back-fill some');
    } else
      log.warn(
        'no Canvas poller: set CANVAS_URL and CANVAS_API_TOKEN to back-fill what Live Events miss',
      );

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        // Every step runs even if one fails (CONVENTIONS.md #9).
        clearInterval(pruner);
        for (const step of [
          () => poller?.close(),
          () => tool.close(),
          () => sender.close(),
          () => writer?.close(),
          () => ownStore?.close(),
        ]) {
          try {
            await step();
          } catch (error) {
            onError(error);
          }
        }
      })());
    return {
      app: tool.app,
      tool,
      outbox,
      sender,
      intake,
      poller,
      writer,
      listen: (port, host) => tool.listen(port, host),
      close,
    };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}
