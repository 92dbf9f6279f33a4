// A Live Events endpoint for tests: records every POST (content type and raw body) and answers
// with `status` (200 unless a test makes it fail).
import { PostRecorder } from '../../common/post-recorder.js';

export interface ReceivedPost {
  contentType: string | undefined;
  body: string;
}

export class LiveEventsReceiver {
  readonly posts: ReceivedPost[] = [];
  status = 200;
  private readonly recorder = new PostRecorder((headers, body) => {
    this.posts.push({ contentType: headers['content-type'], body });
    return this.status;
  });

  start(): Promise<string> {
    return this.recorder.start('/live-events');
  }

  /** The unsigned events received, parsed. */
  events(): Array<{ metadata: Record<string, unknown>; body: Record<string, unknown> }> {
    return this.posts.map((p) => JSON.parse(p.body));
  }

  close(): Promise<void> {
    return this.recorder.close();
  }
}
