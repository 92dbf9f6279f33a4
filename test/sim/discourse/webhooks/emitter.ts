// Delivers the site's changes to its configured webhooks as Discourse does
// (app/models/web_hook.rb active_web_hooks/enqueue_hooks, app/jobs/regular/emit_web_hook_event.rb;
// https://meta.discourse.org/t/configure-webhooks-that-trigger-on-discourse-events-to-integrate-with-external-services/49045):
// - a webhook gets an event when it is active and is a wildcard or lists the event's type
//   (WebHookEventType by event name), and its category filter (if any) holds the category;
// - the body is `{"<type>": <payload>}` as compact JSON; headers Content-Type, User-Agent
//   "Discourse/<version>", X-Discourse-Instance, X-Discourse-Event-Id (a new WebHookEvent row per
//   try: a site-wide increasing id), X-Discourse-Event-Type (the type), X-Discourse-Event (the
//   event name) and, with a secret, X-Discourse-Event-Signature "sha256=" + hex HMAC-SHA256 of the
//   body with the secret;
// - 2xx is done; 404/410 are not retried (the 5th such answer in a row deactivates the webhook);
//   any other status is retried only when the site setting retry_web_hook_events is on, up to 4
//   times after 5^(n-1) minutes (1, 5, 25, 125; `minuteMs` shrinks a minute for tests); no answer
//   at all (connection refused, timeout) is recorded with status -1 and not retried, as
//   process_webhook_response returns on a blank status.
import { createHmac } from 'node:crypto';
import { Deliveries } from '../../common/deliveries.js';
import { postOnce } from '../../common/post.js';
import type { DiscourseChange, DiscourseState, DiscourseWebHook } from '../state.js';
import { WEB_HOOK_EVENT_TYPES } from '../state.js';

export const MAX_RETRY_COUNT = 4;
export const RETRY_BACKOFF = 5;
/** The Discourse version the simulator claims in User-Agent. */
export const DISCOURSE_VERSION = '3.4.0';

export interface EmitterOptions {
  /** How long a Discourse "minute" of retry backoff lasts here. @defaultValue 20 */
  minuteMs?: number;
  /** Per-request timeout (WebHookEmitter::REQUEST_TIMEOUT is 20 s). @defaultValue 5000 */
  timeoutMs?: number;
}

/** One WebHookEvent row: a try of one delivery. */
export interface WebHookEventRecord {
  id: number;
  web_hook_id: number;
  event: string;
  type: string;
  /** Which try of its delivery this was (0 = first). */
  retry_count: number;
  headers: Record<string, string>;
  payload: string;
  /** The answer's status; -1 when there was none. */
  status: number;
  error?: string;
  created_at: string;
}

export interface EmitterCounters {
  /** Deliveries enqueued (one per matching webhook per change). */
  enqueued: number;
  /** POSTs made, retries included. */
  attempts: number;
  /** Deliveries answered 2xx. */
  delivered: number;
  /** Deliveries given up: failed with retries off, 404/410, no answer, or retries exhausted. */
  dropped: number;
  /** Retries scheduled. */
  retried: number;
}

const LOG_LIMIT = 10_000;

export class WebhookEmitter {
  readonly counters: EmitterCounters = {
    enqueued: 0,
    attempts: 0,
    delivered: 0,
    dropped: 0,
    retried: 0,
  };
  /** Every try, oldest first (bounded), as Admin > Webhooks > Events lists them. */
  readonly events: WebHookEventRecord[] = [];
  private nextEventId = 0;
  private readonly deliveries = new Deliveries();
  private readonly opts: Required<EmitterOptions>;
  /** Consecutive 404/410 answers per webhook. */
  private readonly goneStreak = new Map<number, number>();
  private readonly onChange = (change: DiscourseChange) => this.enqueue(change);

  constructor(
    private readonly state: DiscourseState,
    private readonly instanceUrl: () => string,
    options: EmitterOptions = {},
  ) {
    this.opts = { minuteMs: 20, timeoutMs: 5000, ...options };
    state.changes.on('change', this.onChange);
  }

  /** The webhooks an event goes to (WebHook.active_web_hooks plus the job's filters). */
  matching(change: DiscourseChange): DiscourseWebHook[] {
    const typeId = WEB_HOOK_EVENT_TYPES[change.event];
    return this.state.list(this.state.webHooks, (w) => {
      if (!w.active) return false;
      if (
        !w.wildcard_web_hook &&
        (typeId === undefined || !w.web_hook_event_type_ids.includes(typeId))
      ) {
        return false;
      }
      if (w.category_ids.length > 0) {
        return change.categoryId !== undefined && w.category_ids.includes(change.categoryId);
      }
      return true;
    });
  }

  /** Resolves once every delivery under way (retries included) has finished. */
  settle(): Promise<void> {
    return this.deliveries.settle();
  }

  close(): void {
    this.state.changes.off('change', this.onChange);
    this.deliveries.close();
  }

  /** Sends a `ping` event to one webhook now (Admin::WebHooksController#ping). */
  ping(webHook: DiscourseWebHook): void {
    this.deliveries.track(this.deliver(webHook, 'ping', 'ping', JSON.stringify({ ping: 'OK' })));
  }

  private enqueue(change: DiscourseChange): void {
    if (this.deliveries.closed) return;
    // Discourse serializes the payload once, when it enqueues; every try sends the same body.
    const body = JSON.stringify({ [change.type]: change.payload });
    for (const w of this.matching(change)) {
      this.counters.enqueued += 1;
      this.deliveries.track(this.deliver(w, change.event, change.type, body));
    }
  }

  private async deliver(w: DiscourseWebHook, event: string, type: string, body: string) {
    for (let retry = 0; ; retry++) {
      if (this.deliveries.closed) return;
      const status = await this.attempt(w, event, type, body, retry);
      if (status >= 200 && status <= 299) {
        this.goneStreak.delete(w.id);
        w.last_delivery_status = 3;
        this.counters.delivered += 1;
        return;
      }
      w.last_delivery_status = 2;
      if (status === 404 || status === 410) {
        const streak = (this.goneStreak.get(w.id) ?? 0) + 1;
        this.goneStreak.set(w.id, streak);
        if (streak > MAX_RETRY_COUNT) w.active = false;
        this.counters.dropped += 1;
        return;
      }
      const retryable = status !== -1 && this.state.siteSettings.retry_web_hook_events;
      if (!retryable || retry + 1 > MAX_RETRY_COUNT) {
        this.counters.dropped += 1;
        return;
      }
      this.counters.retried += 1;
      await this.deliveries.wait(RETRY_BACKOFF ** retry * this.opts.minuteMs);
    }
  }

  private async attempt(
    w: DiscourseWebHook,
    event: string,
    type: string,
    body: string,
    retry: number,
  ): Promise<number> {
    this.nextEventId += 1;
    const uri = new URL(w.payload_url.trim());
    const headers: Record<string, string> = {
      Accept: '*/*',
      'Content-Type':
        w.content_type === 2 ? 'application/x-www-form-urlencoded' : 'application/json',
      'User-Agent': `Discourse/${DISCOURSE_VERSION}`,
      'X-Discourse-Instance': this.instanceUrl(),
      'X-Discourse-Event-Id': String(this.nextEventId),
      'X-Discourse-Event-Type': type,
    };
    if (event) headers['X-Discourse-Event'] = event;
    if (w.secret) {
      headers['X-Discourse-Event-Signature'] =
        `sha256=${createHmac('sha256', w.secret).update(body).digest('hex')}`;
    }
    const record: WebHookEventRecord = {
      id: this.nextEventId,
      web_hook_id: w.id,
      event,
      type,
      retry_count: retry,
      headers,
      payload: body,
      status: -1,
      created_at: this.state.time(),
    };
    this.events.push(record);
    if (this.events.length > LOG_LIMIT) this.events.shift();
    this.counters.attempts += 1;
    const answer = await postOnce(uri, headers, body, this.opts.timeoutMs);
    if ('error' in answer) record.error = answer.error;
    else record.status = answer.status;
    return record.status;
  }
}
