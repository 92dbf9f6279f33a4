// Delivers every change of the simulated Canvas as a Live Event to the subscribed HTTPS endpoint,
// the way Canvas Data Services' HTTPS delivery does
// (https://developerdocs.instructure.com/services/canvas/data-services/live-events/overview/file.data_service_setup):
// one POST per event; the body is the event JSON, or with "Sign Payload" a JWT whose claims are the
// event. Best effort: a non-2xx answer (or none) is retried up to three times (four tries in all)
// with exponential backoff and jitter, then the event is dropped. While the stream is stopped (an
// outage) changes are not delivered at all: a consumer must back-fill them through the REST API.
import { Deliveries } from '../../common/deliveries.js';
import { postOnce } from '../../common/post.js';
import type { CanvasChange, CanvasState } from '../state.js';
import type { LiveEventsKeys } from './keys.js';
import { buildLiveEvent, type CanvasIdentity, type LiveEvent } from './metadata.js';

export interface Subscription {
  url: string;
  /** "Sign Payload": the body is a JWT signed with a key of the Live Events JWKS. @defaultValue true */
  signPayload: boolean;
  /** Only these event names (a Data Services subscription lists its events); all when absent. */
  events?: string[];
}

export interface SenderOptions {
  /** Tries per event, the first included (Canvas: 4). @defaultValue 4 */
  maxAttempts?: number;
  /** Backoff before retry n is base * 2^(n-1), plus up to 50% jitter (Canvas: minutes). @defaultValue 100 */
  retryBaseMs?: number;
  /** How long one POST may take. @defaultValue 5000 */
  timeoutMs?: number;
}

export type DeliveryOutcome = 'sent' | 'dropped' | 'suppressed';

export interface DeliveryRecord {
  event: LiveEvent;
  outcome: DeliveryOutcome | 'pending';
  attempts: number;
  /** The last status or error of a failed try. */
  lastError?: string;
}

export interface SenderCounters {
  /** Events the endpoint accepted (2xx). */
  sent: number;
  /** Events given up after every retry failed. */
  dropped: number;
  /** Changes made while the stream was stopped: never delivered. */
  suppressed: number;
  /** POSTs made, retries included. */
  attempts: number;
}

const LOG_LIMIT = 10_000;

export class LiveEventsSender {
  subscription: Subscription | undefined;
  private running = true;
  readonly counters: SenderCounters = { sent: 0, dropped: 0, suppressed: 0, attempts: 0 };
  /** The most recent deliveries, oldest first (bounded). */
  readonly log: DeliveryRecord[] = [];
  private readonly deliveries = new Deliveries();
  private readonly opts: Required<SenderOptions>;
  private readonly onChange = (change: CanvasChange) => this.publish(change);

  constructor(
    private readonly state: CanvasState,
    private readonly keys: LiveEventsKeys,
    private readonly who: CanvasIdentity,
    options: SenderOptions = {},
  ) {
    this.opts = { maxAttempts: 4, retryBaseMs: 100, timeoutMs: 5000, ...options };
    state.changes.on('change', this.onChange);
  }

  get isRunning(): boolean {
    return this.running;
  }

  subscribe(subscription: Subscription | undefined): void {
    this.subscription = subscription;
  }

  /** An outage of the stream: changes from now on are never delivered. */
  stop(): void {
    this.running = false;
  }

  start(): void {
    this.running = true;
  }

  /** Resolves once every delivery under way has been sent or dropped. */
  settle(): Promise<void> {
    return this.deliveries.settle();
  }

  /** Stops listening to the state and abandons pending retries. */
  close(): void {
    this.state.changes.off('change', this.onChange);
    // Pending backoffs end at once; deliver() then sees `closed` and gives up.
    this.deliveries.close();
  }

  private publish(change: CanvasChange): void {
    const sub = this.subscription;
    if (!sub || (sub.events && !sub.events.includes(change.eventName))) return;
    const record: DeliveryRecord = {
      event: buildLiveEvent(this.state, change, this.who),
      outcome: 'pending',
      attempts: 0,
    };
    this.log.push(record);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    if (!this.running) {
      record.outcome = 'suppressed';
      this.counters.suppressed += 1;
      return;
    }
    this.deliveries.track(this.deliver(record, sub));
  }

  private async deliver(record: DeliveryRecord, sub: Subscription): Promise<void> {
    // Signed once: retries resend the same token, as a queue redelivering a message would.
    const body = sub.signPayload
      ? await this.keys.sign({ ...record.event })
      : JSON.stringify(record.event);
    const contentType = sub.signPayload ? 'application/jwt' : 'application/json';
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      if (this.deliveries.closed) return;
      record.attempts = attempt;
      this.counters.attempts += 1;
      const answer = await postOnce(
        sub.url,
        { 'content-type': contentType },
        body,
        this.opts.timeoutMs,
      );
      if ('error' in answer) {
        record.lastError = answer.error;
      } else if (answer.status >= 200 && answer.status <= 299) {
        record.outcome = 'sent';
        this.counters.sent += 1;
        return;
      } else {
        record.lastError = `HTTP ${answer.status}`;
      }
      if (attempt < this.opts.maxAttempts) await this.backoff(attempt);
    }
    record.outcome = 'dropped';
    this.counters.dropped += 1;
  }

  private backoff(attempt: number): Promise<void> {
    const base = this.opts.retryBaseMs * 2 ** (attempt - 1);
    return this.deliveries.wait(base + Math.random() * base * 0.5);
  }
}
