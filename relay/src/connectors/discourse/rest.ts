import type { RelayConfig } from '../../config.js';
import { httpTargetError, unansweredTargetError } from '../connector.js';

// Discourse's REST API with an admin API key: every request carries `Api-Key` and `Api-Username`
// (https://docs.discourse.org/#section/Authentication). Errors are `render_json_error` bodies,
// `{"errors": [...], "error_type": ...}`, and rate limits a 429 with Retry-After
// (https://meta.discourse.org/t/available-settings-for-global-rate-limits-and-throttling/78612).

export interface DiscourseRestOptions {
  /** The site's base URL, e.g. https://forum.example.edu */
  url: string;
  apiKey: string;
  /** The user the key acts as (an admin: badges and groups need one). */
  apiUsername: string;
  /** Per request. @defaultValue 10_000 */
  timeoutMs?: number;
  /** The target's name in error messages. @defaultValue 'discourse' */
  name?: string;
}

/**
 * Discourse refused one request for a reason of its own (a 4xx with its JSON error body): the
 * event that made it is refused for good with that text; the rest of its delivery goes on.
 */
export class DiscourseRefusal extends Error {
  constructor(
    readonly status: number,
    readonly errors: string,
    readonly errorType: string | undefined,
  ) {
    super(errors);
    this.name = 'DiscourseRefusal';
  }
}

export function isDiscourseRefusal(error: unknown): error is DiscourseRefusal {
  return error instanceof Error && error.name === 'DiscourseRefusal' && 'errors' in error;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Headers that trace a write back to the relay's event in logs and proxies (Discourse ignores them). */
export interface Trace {
  deliveryId: string;
  eventId: string;
}

/**
 * The relay's REST options from its settings (DISCOURSE_URL, DISCOURSE_API_KEY,
 * DISCOURSE_API_USERNAME), or undefined when Discourse is not configured.
 */
export function discourseRestOptions(
  config: Pick<RelayConfig, 'discourseUrl' | 'discourseApiKey' | 'discourseApiUsername'>,
  timeoutMs?: number,
): DiscourseRestOptions | undefined {
  const { discourseUrl: url, discourseApiKey: apiKey, discourseApiUsername: apiUsername } = config;
  return url && apiKey ? { url, apiKey, apiUsername, timeoutMs } : undefined;
}

export class DiscourseRest {
  readonly name: string;
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: DiscourseRestOptions) {
    this.name = options.name ?? 'discourse';
    this.base = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * One request; resolves with the JSON answer. Throws a TargetError for what retrying may fix
   * (network, timeout, 408, 429, 5xx, with Retry-After) and for answers that are no Discourse
   * refusal (401/403: the key; a 4xx without Discourse's error body: something else answered);
   * throws a DiscourseRefusal for any other 4xx.
   */
  async request(method: Method, path: string, body?: unknown, trace?: Trace): Promise<unknown> {
    const headers: Record<string, string> = {
      'api-key': this.options.apiKey,
      'api-username': this.options.apiUsername,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (trace) {
      headers['x-cds-delivery-id'] = trace.deliveryId;
      headers['x-cds-event-id'] = trace.eventId;
    }
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unansweredTargetError(this.name, error, this.timeoutMs);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return parseJson(text) ?? {};
    const { status } = response;
    const refusal = discourseErrors(text);
    if (status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status) && refusal) {
      throw new DiscourseRefusal(status, refusal.errors, refusal.errorType);
    }
    const error = httpTargetError(this.name, status, response.headers.get('retry-after'));
    if (refusal) error.message += `: ${refusal.errors}`;
    throw error;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The text of a `render_json_error` body, or undefined when the body is not one. */
function discourseErrors(text: string): { errors: string; errorType?: string } | undefined {
  const body = parseJson(text) as { errors?: unknown; error_type?: unknown } | undefined;
  if (!body || !Array.isArray(body.errors) || body.errors.length === 0) return undefined;
  return {
    errors: body.errors.map(String).join('; '),
    errorType: typeof body.error_type === 'string' ? body.error_type : undefined,
  };
}
