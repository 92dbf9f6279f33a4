// Canvas REST for the writer: the poller's CanvasRest (Bearer CANVAS_API_TOKEN, Canvas's
// throttling) with one try per request, and its failures in the writer's terms: throttled (403
// "Rate Limit Exceeded"), 5xx, unreachable or a token Canvas does not take -> CanvasUnavailable
// (the tool answers 503 + Retry-After and the relay retries the delivery); any other 4xx, and a
// caller without the right (401 "user not authorized to perform that action") -> CanvasRefused
// (that event is rejected with Canvas's reason).
// https://canvas.instructure.com/doc/api/file.throttling.html ,
// https://canvas.instructure.com/doc/api/file.oauth.html#using-access-tokens
import { isCdsError } from '@cds/shared';
import { CanvasRest, type CanvasRestOptions } from '../poller/canvas-rest.js';
import { CanvasRefused, CanvasUnavailable } from './canvas-client.js';

export type CanvasRestTuning = Omit<CanvasRestOptions, 'baseUrl' | 'token' | 'maxAttempts'>;

/** Canvas's answer to a write the caller has no right to make (render_unauthorized_action). */
const NOT_AUTHORIZED = /user not authorized to perform that action/i;

export class CanvasRestWrites {
  private readonly rest: CanvasRest;

  constructor(
    options: { baseUrl: string; token: string; tuning?: CanvasRestTuning },
    /** Retry-After when Canvas gives none. */
    private readonly retryAfterMs: number,
  ) {
    // One try: the relay retries the whole delivery, so a throttled write is not waited on here.
    this.rest = new CanvasRest({
      timeoutMs: 10_000,
      ...options.tuning,
      baseUrl: options.baseUrl,
      token: options.token,
      maxAttempts: 1,
    });
  }

  /** GET one object; undefined on 404. */
  get<T>(path: string): Promise<T | undefined> {
    return this.call(`GET ${path}`, () => this.rest.get<T>(path));
  }

  /** PUT or POST Rails form fields; undefined on 404. */
  send<T>(
    method: 'PUT' | 'POST',
    path: string,
    form: Record<string, string>,
  ): Promise<T | undefined> {
    return this.call(`${method} ${path}`, () => this.rest.send<T>(method, path, form));
  }

  private async call<T>(where: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!isCdsError(error)) throw error;
      if (error.code === 'ERR_UNAUTHORIZED' && NOT_AUTHORIZED.test(error.message))
        throw new CanvasRefused(
          `Canvas refused ${where}: user not authorized to perform that action (the CANVAS_API_TOKEN user lacks the right, or the account has the feature off)`,
          401,
        );
      if (error.code === 'ERR_UNAUTHORIZED' || error.code === 'ERR_UNAVAILABLE')
        throw new CanvasUnavailable(`${error.message} (${where})`, this.retryAfterMs);
      if (error.code === 'ERR_TARGET')
        throw new CanvasRefused(
          error.message,
          Number(/answered (\d{3})/.exec(error.message)?.[1] ?? 400),
        );
      throw error;
    }
  }
}
