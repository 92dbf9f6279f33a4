// Reads the relay's status API as the current Discourse user: a short-lived token minted by the
// plugin (`GET /cds-sync/token.json` -> `{token, expires_at, relay_url, categories}`), sent as a
// Bearer token to `GET /v1/status/...`; the relay limits each answer to what the token's user may
// see. `categories` are those the token names (the user moderates them through category group
// moderation), so the front end knows which category panels the relay will answer.
import {
  type CategoryLink,
  type CourseStatus,
  type EntityStatus,
  type LinksOverview,
  type OpenItems,
  parseCategoryLink,
  parseCourseStatus,
  parseEntityStatus,
  parseLinksOverview,
  parseOpenItems,
  parseStatusSummary,
  type StatusSummary,
} from './status';

export interface RelayClientOptions {
  /** The relay's base URL (site setting `cds_sync_relay_url`). */
  relayUrl: string;
  /** GETs the plugin's token endpoint (Discourse's `ajax`, which adds CSRF and subfolder). */
  fetchToken: () => Promise<unknown>;
  fetch?: typeof fetch;
  now?: () => number;
}

/** A relay answer that is not 2xx: its status and the relay's own message. */
export class RelayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/** A token this close to its expiry is renewed first, so a request never carries a dying one. */
const RENEW_BEFORE_MS = 30_000;

interface Token {
  token: string;
  expiresAt: number;
  /** The Discourse category ids the token names (category group moderation). */
  categories: number[];
}

const isCategoryId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function parseToken(v: unknown): Token {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const expiresAt = typeof o.expires_at === 'string' ? Date.parse(o.expires_at) : NaN;
  if (typeof o.token !== 'string' || o.token === '' || Number.isNaN(expiresAt))
    throw new RelayError(0, "the plugin's token endpoint answered without {token, expires_at}");
  // Absent from a plugin older than the list: no category is known to be moderated.
  const categories = o.categories ?? [];
  if (!Array.isArray(categories) || !categories.every(isCategoryId))
    throw new RelayError(0, "the plugin's token endpoint answered categories that are not ids");
  return { token: o.token, expiresAt, categories };
}

export class RelayClient {
  readonly #options: RelayClientOptions;
  #token: Promise<Token> | undefined;

  constructor(options: RelayClientOptions) {
    this.#options = options;
  }

  /**
   * The categories the current user moderates through category group moderation, as the token
   * endpoint listed them with the token the relay is asked with (no request to the relay).
   */
  async moderatedCategories(): Promise<number[]> {
    return (await this.#currentToken()).categories;
  }

  entity(key: string): Promise<EntityStatus> {
    return this.#get(`/v1/status/entities?key=${encodeURIComponent(key)}`).then(parseEntityStatus);
  }

  course(courseId: string, limit = 50): Promise<CourseStatus> {
    return this.#get(`/v1/status/courses/${encodeURIComponent(courseId)}?limit=${limit}`).then(
      parseCourseStatus,
    );
  }

  summary(): Promise<StatusSummary> {
    return this.#get('/v1/status/summary').then(parseStatusSummary);
  }

  /** Every course and user link and what waits for one (admins; 403 for anyone else). */
  links(): Promise<LinksOverview> {
    return this.#get('/v1/status/links').then(parseLinksOverview);
  }

  /** Every open conflict and dead letter, newest first, at most `limit` of each (admins; 403). */
  openItems(limit = 200): Promise<OpenItems> {
    return this.#get(`/v1/status/open-items?limit=${limit}`).then(parseOpenItems);
  }

  /**
   * The Canvas course a Discourse category is linked to, for admins and the category's moderators;
   * 404 (a RelayError) when it is not linked, or not to a course this reader moderates.
   */
  categoryLink(categoryId: number): Promise<CategoryLink> {
    return this.#get(`/v1/status/categories/${categoryId}/link`).then(parseCategoryLink);
  }

  /** Replays an event's open dead letters (202 `{eventId, replayed}`). */
  async replay(eventId: string): Promise<number> {
    const body = await this.#send(
      'POST',
      `/v1/status/dead-letters/${encodeURIComponent(eventId)}/replay`,
    );
    const replayed = (body as { replayed?: unknown } | null)?.replayed;
    return typeof replayed === 'number' ? replayed : 0;
  }

  /** Resolves an open conflict by taking one side (202). */
  async resolve(conflictId: string, take: 'canvas' | 'discourse'): Promise<void> {
    await this.#send('POST', `/v1/status/conflicts/${encodeURIComponent(conflictId)}/resolve`, {
      take,
    });
  }

  #get(path: string): Promise<unknown> {
    return this.#send('GET', path);
  }

  async #send(method: string, path: string, body?: unknown, retried = false): Promise<unknown> {
    const { token } = await this.#currentToken();
    const doFetch = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const response = await doFetch(new URL(path, this.#base()).toString(), {
      method,
      headers: {
        Accept: 'application/json',
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // A token the relay no longer takes (a rotated secret, a clock step) is minted anew once.
    if (response.status === 401 && !retried) {
      this.#token = undefined;
      return this.#send(method, path, body, true);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (!response.ok) {
      // The relay's error body: `{"error": {"code", "message"}}` (relay/src/http/errors.ts).
      const message = (json as { error?: { message?: unknown } } | null)?.error?.message;
      throw new RelayError(
        response.status,
        typeof message === 'string' ? message : `the relay answered ${response.status}`,
      );
    }
    return json;
  }

  #currentToken(): Promise<Token> {
    const now = (this.#options.now ?? Date.now)();
    const pending = this.#token;
    if (pending) {
      return pending.then((t) => (t.expiresAt - RENEW_BEFORE_MS > now ? t : this.#mint()));
    }
    return this.#mint();
  }

  #mint(): Promise<Token> {
    const minted = this.#options.fetchToken().then(parseToken);
    this.#token = minted;
    minted.catch(() => {
      if (this.#token === minted) this.#token = undefined;
    });
    return minted;
  }

  #base(): string {
    return this.#options.relayUrl.endsWith('/')
      ? this.#options.relayUrl
      : `${this.#options.relayUrl}/`;
  }
}
