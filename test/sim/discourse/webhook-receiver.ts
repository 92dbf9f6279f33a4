// A webhook endpoint for tests: records every POST (headers and raw body) and answers each with
// the next status of `statuses` (then `status`, 200 unless a test changes it).
import type { IncomingHttpHeaders } from 'node:http';
import { PostRecorder } from '../common/post-recorder.js';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  status = 200;
  statuses: number[] = [];
  private readonly recorder = new PostRecorder((headers, body) => {
    this.received.push({ headers, body });
    return this.statuses.shift() ?? this.status;
  });

  start(): Promise<string> {
    return this.recorder.start('/discourse');
  }

  /** Received deliveries of one event name. */
  of(event: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.headers['x-discourse-event'] === event);
  }

  close(): Promise<void> {
    return this.recorder.close();
  }
}
