import { Redis } from 'ioredis';
import { z } from 'zod';
import { EVENT_STATES, isUnfinished } from '../db/schema.js';
import type { Logger } from '../log.js';
import { closeConnection } from '../queue/redis.js';

/** One change the status stream shows: an event moved to a state, or a conflict opened/closed. */
export const statusMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('event'),
    id: z.string(),
    state: z.enum(EVENT_STATES),
    reason: z.string().nullish(),
    entity: z.string().optional(),
    key: z.string().optional(),
    /** Epoch ms when the change was published. */
    at: z.number(),
  }),
  z.object({
    type: z.literal('conflict'),
    id: z.string(),
    state: z.enum(['open', 'resolved']),
    key: z.string(),
    entity: z.string().optional(),
    at: z.number(),
  }),
]);
export type StatusMessage = z.infer<typeof statusMessageSchema>;

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> & { at?: number } : never;
/** What a publisher hands in; `at` defaults to now. */
export type StatusChange = WithoutAt<StatusMessage>;

export type StatusListener = (message: StatusMessage) => void;

/** The wire format: changes are sent in batches, one PUBLISH per flush. */
const envelopeSchema = z.object({ changes: z.array(z.unknown()) });

export interface StatusBusOptions {
  redisUrl: string;
  /** The queue prefix: the channel is `<prefix>:status`, so relays sharing a Redis stay apart. */
  prefix: string;
  logger: Logger;
  /** Longest a change waits to be batched with others. @defaultValue 20 */
  flushMs?: number;
  /** A batch is published at once when it reaches this many changes. @defaultValue 500 */
  maxBatch?: number;
  /** Longest `subscribe` waits for Redis to confirm the channel. @defaultValue 3_000 */
  subscribeTimeoutMs?: number;
}

/** Keys remembered per event id, to fill in changes published without one. */
const KNOWN_KEYS_LIMIT = 10_000;
const DROP_LOG_EVERY_MS = 10_000;

/**
 * Status changes over Redis pub/sub, so a web role sees what worker processes do (DESIGN.md
 * section 7). Publishing never fails the pipeline: when Redis is away the changes are dropped and
 * logged (the database stays the truth; the stream is a notification). Connections are opened on
 * first use: the publisher on the first change, the subscriber on the first listener.
 */
export class StatusBus {
  readonly channel: string;
  private publisher?: Redis;
  private subscriber?: Redis;
  private subscribed?: Promise<void>;
  private readonly listeners = new Set<StatusListener>();
  private buffer: StatusMessage[] = [];
  private timer?: NodeJS.Timeout;
  private readonly knownKeys = new Map<string, { key?: string; entity?: string }>();
  private dropped = 0;
  private lastDropLog = 0;
  private closing?: Promise<void>;

  constructor(private readonly options: StatusBusOptions) {
    this.channel = `${options.prefix}:status`;
  }

  /** Queues a change for the next batch; never throws. */
  publish(change: StatusChange): void {
    if (this.closing) return;
    const message = { ...change, at: change.at ?? Date.now() } as StatusMessage;
    if (message.type === 'event') this.fillKey(message);
    this.buffer.push(message);
    if (this.buffer.length >= (this.options.maxBatch ?? 500)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 20).unref();
  }

  /**
   * Workers report deliveries by event id only: take the key from this process's earlier change
   * of the same event (its decision), and forget events that reached a final state.
   */
  private fillKey(message: Extract<StatusMessage, { type: 'event' }>): void {
    if (message.key !== undefined) {
      if (this.knownKeys.size >= KNOWN_KEYS_LIMIT) {
        this.knownKeys.delete(this.knownKeys.keys().next().value!);
      }
      this.knownKeys.set(message.id, { key: message.key, entity: message.entity });
    } else {
      const known = this.knownKeys.get(message.id);
      if (known?.key !== undefined) message.key = known.key;
      if (known?.entity !== undefined) message.entity ??= known.entity;
    }
    if (!isUnfinished(message.state)) {
      this.knownKeys.delete(message.id);
    }
  }

  /** Sends what is buffered now; failures are logged and the changes dropped. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return Promise.resolve();
    const changes = this.buffer;
    this.buffer = [];
    try {
      this.publisher ??= this.openPublisher();
      return this.publisher
        .publish(this.channel, JSON.stringify({ changes }))
        .then(() => undefined)
        .catch((error: unknown) => this.drop(changes.length, error));
    } catch (error) {
      this.drop(changes.length, error);
      return Promise.resolve();
    }
  }

  private openPublisher(): Redis {
    // Commands wait while the first connect runs, then fail after one reconnect attempt: an outage
    // drops changes instead of piling them up.
    const publisher = new Redis(this.options.redisUrl, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    publisher.on('error', (error: Error) =>
      this.options.logger.debug({ err: error, channel: this.channel }, 'status publisher error'),
    );
    return publisher;
  }

  private drop(count: number, error: unknown): void {
    this.dropped += count;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.options.logger.warn(
      { err: error, dropped: this.dropped, channel: this.channel },
      'status changes dropped: Redis did not take them (the database still has every state)',
    );
    this.dropped = 0;
  }

  /**
   * Adds a listener and resolves with its unsubscribe function once Redis has confirmed the
   * channel, so every change published after that reaches it. If Redis does not confirm in time,
   * it resolves anyway (logged): the listener gets changes as soon as Redis is back.
   */
  async subscribe(listener: StatusListener): Promise<() => void> {
    if (this.closing) throw new Error('the status bus is closed');
    this.listeners.add(listener);
    const unsubscribe = () => void this.listeners.delete(listener);
    this.subscribed ??= this.openSubscriber();
    const timeoutMs = this.options.subscribeTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const confirmed = await Promise.race([
      this.subscribed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!confirmed) {
      this.options.logger.warn(
        { channel: this.channel, timeoutMs },
        'status stream: Redis has not confirmed the subscription yet; changes follow once it does',
      );
    }
    return unsubscribe;
  }

  private openSubscriber(): Promise<void> {
    // Its own connection: a subscribed connection can do nothing else. It retries forever and
    // ioredis subscribes again after each reconnect.
    const subscriber = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    subscriber.on('error', (error: Error) =>
      this.options.logger.debug({ err: error, channel: this.channel }, 'status subscriber error'),
    );
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.dispatch(text);
    });
    this.subscriber = subscriber;
    return subscriber.subscribe(this.channel).then(
      () => undefined,
      (error: unknown) => {
        this.options.logger.warn({ err: error, channel: this.channel }, 'status subscribe failed');
        this.subscribed = undefined; // the next listener tries again
      },
    );
  }

  /** Parses a batch from Redis; invalid changes are dropped one by one, never thrown. */
  private dispatch(text: string): void {
    let envelope;
    try {
      envelope = envelopeSchema.safeParse(JSON.parse(text));
    } catch {
      envelope = undefined;
    }
    if (!envelope?.success) {
      this.options.logger.debug({ channel: this.channel }, 'status: ignored a malformed message');
      return;
    }
    for (const raw of envelope.data.changes) {
      const parsed = statusMessageSchema.safeParse(raw);
      if (!parsed.success) {
        this.options.logger.debug({ issues: parsed.error.issues }, 'status: ignored a change');
        continue;
      }
      for (const listener of this.listeners) {
        try {
          listener(parsed.data);
        } catch (error) {
          this.options.logger.warn({ err: error }, 'status listener failed');
        }
      }
    }
  }

  /** How many listeners this process has (SSE clients, tests). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Sends what is buffered, drops the listeners, closes both connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flush();
      this.listeners.clear();
      if (this.subscriber) await closeConnection(this.subscriber);
      if (this.publisher) await closeConnection(this.publisher);
    })();
    return this.closing;
  }
}
