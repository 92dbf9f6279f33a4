// A small Canvas REST client: Bearer token (https://canvas.instructure.com/doc/api/file.oauth.html),
// Link-header pagination followed as opaque URLs (https://canvas.instructure.com/doc/api/file.pagination.html),
// and Canvas's throttling (https://canvas.instructure.com/doc/api/file.throttling.html): a 403
// "Rate Limit Exceeded" is backed off and retried, and when `X-Rate-Limit-Remaining` runs low the
// next request waits, so the bucket leaks before it fills. 5xx and network errors are retried too.
import { CdsError, toCdsError } from '@cds/shared';

export interface CanvasRestOptions {
  /** CANVAS_URL, e.g. https://school.instructure.com */
  baseUrl: string;
  /** CANVAS_API_TOKEN: an access token of a user who may read the courses. */
  token: string;
  /** Tries per request, the first included. @defaultValue 6 */
  maxAttempts?: number;
  /** First backoff after a throttled or failed request. @defaultValue 1000 */
  backoffMs?: number;
  /** Longest backoff. @defaultValue 60000 */
  maxBackoffMs?: number;
  /** Below this `X-Rate-Limit-Remaining` the next request waits `lowWaterPauseMs`. @defaultValue 100 */
  lowWater?: number;
  /** @defaultValue 2000 */
  lowWaterPauseMs?: number;
  /** @defaultValue 15000 */
  timeoutMs?: number;
}

export interface CanvasRestStats {
  requests: number;
  /** 403 Rate Limit Exceeded answers seen. */
  throttled: number;
  /** Waits because X-Rate-Limit-Remaining was low. */
  pauses: number;
  retries: number;
}

const LINK = /<([^>]+)>\s*;\s*rel="([^"]+)"/g;

/** The `rel="next"` URL of a Link header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(LINK)) if (match[2] === 'next') return match[1];
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CanvasRest {
  readonly stats: CanvasRestStats = { requests: 0, throttled: 0, pauses: 0, retries: 0 };
  private pauseNext = false;
  private readonly opts: Required<CanvasRestOptions>;

  constructor(options: CanvasRestOptions) {
    this.opts = {
      maxAttempts: 6,
      backoffMs: 1_000,
      maxBackoffMs: 60_000,
      lowWater: 100,
      lowWaterPauseMs: 2_000,
      timeoutMs: 15_000,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
  }

  /** GET one object; undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const response = await this.request(this.url(path));
    if (response.status === 404) return undefined;
    return (await response.json()) as T;
  }

  /** GET every page of a list, following Link rel="next". */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = this.url(path);
    while (url) {
      const response = await this.request(url);
      if (response.status === 404)
        throw new CdsError('ERR_NOT_FOUND', `Canvas: ${path} not found (404)`);
      const page = (await response.json()) as unknown;
      if (!Array.isArray(page))
        throw new CdsError('ERR_MALFORMED', `Canvas: ${path} did not answer a list`);
      items.push(...(page as T[]));
      url = nextLink(response.headers.get('link'));
    }
    return items;
  }

  /**
   * PUT or POST Rails form fields (`wiki_page[title]=...`, as Canvas's API documents them); the
   * answer's JSON, or undefined on 404. Sent once, not retried: a retried POST could create twice,
   * so the caller (the writer, whose delivery the relay retries) decides when to try again.
   */
  async send<T>(
    method: 'PUT' | 'POST',
    path: string,
    form: Record<string, string>,
  ): Promise<T | undefined> {
    const response = await this.request(this.url(path), { method, form }, 1);
    if (response.status === 404) return undefined;
    return (await response.json()) as T;
  }

  private url(path: string): string {
    return path.startsWith('http') ? path : `${this.opts.baseUrl}${path}`;
  }

  /** One request with retries; resolves with a 2xx or 404 response, throws otherwise. */
  private async request(
    url: string,
    write?: { method: 'PUT' | 'POST'; form: Record<string, string> },
    maxAttempts = this.opts.maxAttempts,
  ): Promise<Response> {
    const method = write?.method ?? 'GET';
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        this.stats.retries += 1;
        const exp = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (attempt - 2));
        await sleep(exp / 2 + Math.random() * (exp / 2));
      } else if (this.pauseNext) {
        this.stats.pauses += 1;
        await sleep(this.opts.lowWaterPauseMs);
      }
      this.pauseNext = false;
      let response: Response;
      try {
        this.stats.requests += 1;
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            accept: 'application/json',
            ...(write ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body: write ? new URLSearchParams(write.form).toString() : undefined,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
      } catch (error) {
        lastError = `Canvas unreachable: ${toCdsError(error).message}`;
        continue;
      }
      const remaining = Number(response.headers.get('x-rate-limit-remaining'));
      if (Number.isFinite(remaining) && remaining < this.opts.lowWater) this.pauseNext = true;
      if (response.ok || response.status === 404) return response;
      const text = await response.text().catch(() => '');
      if (response.status === 403 && /rate limit exceeded/i.test(text)) {
        this.stats.throttled += 1;
        lastError = 'Canvas throttled the request (403 Rate Limit Exceeded)';
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        lastError = `Canvas answered ${response.status}`;
        continue;
      }
      if (response.status === 401)
        throw new CdsError(
          'ERR_UNAUTHORIZED',
          `Canvas refused CANVAS_API_TOKEN (401): ${text.slice(0, 200)}`,
        );
      throw new CdsError(
        'ERR_TARGET',
        `Canvas answered ${response.status} to ${method} ${new URL(url).pathname}: ${text.slice(0, 200)}`,
      );
    }
    throw new CdsError('ERR_UNAVAILABLE', `${lastError} (after ${maxAttempts} tries)`);
  }
}
