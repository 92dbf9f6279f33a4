// The tool's HTTP client for Canvas's LTI Advantage services: an OAuth2 access token from the
// platform's token endpoint (client_credentials with a JWT client assertion signed by the key
// ltijs made for the platform), refreshed once when Canvas refuses it, and Canvas's answers
// classified: throttled, unavailable (retry the delivery later) or refused (reject the event).
// https://www.imsglobal.org/spec/security/v1p0/#using-json-web-tokens-with-oauth-2-0-client-credentials-grant
// https://canvas.instructure.com/doc/api/file.oauth_endpoints.html#post-login-oauth2-token
// https://canvas.instructure.com/doc/api/file.throttling.html
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseRetryAfter } from '@cds/shared';

/** What the tool needs to ask a platform for access tokens. */
export interface PlatformCredentials {
  clientId: string;
  tokenUrl: string;
  /** The `aud` of the client assertion (Canvas: its token endpoint). */
  audience: string;
  kid: string;
  /** PEM (PKCS#1 or PKCS#8), as ltijs stores it. */
  privateKeyPem: string;
}

/** Canvas cannot take the write now: the relay retries the whole delivery later. */
export class CanvasUnavailable extends Error {
  readonly code = 'ERR_CANVAS_UNAVAILABLE';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Canvas refused this write for good: the event is rejected with Canvas's reason. */
export class CanvasRefused extends Error {
  readonly code = 'ERR_CANVAS_REFUSED';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface CanvasClientOptions {
  credentials: () => Promise<PlatformCredentials>;
  /** Retry-After when Canvas gives none (403 Rate Limit Exceeded, 5xx). @defaultValue 30_000 */
  retryAfterMs?: number;
  /** Stop before Canvas throttles: below this X-Rate-Limit-Remaining, pause. @defaultValue 50 */
  rateLimitFloor?: number;
  /** @defaultValue 10_000 */
  timeoutMs?: number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

export interface CanvasRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  scopes: string[];
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export interface CanvasAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Canvas's error bodies: `{errors: {type, message}}`, `{errors: [{message}]}` or plain text. */
function canvasMessage(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    const first = errors[0] as { message?: unknown } | undefined;
    if (typeof first?.message === 'string') return first.message;
  } else if (errors && typeof (errors as { message?: unknown }).message === 'string') {
    return (errors as { message: string }).message;
  }
  const error = (body as { error_description?: unknown; error?: unknown } | null) ?? {};
  if (typeof error.error_description === 'string') return error.error_description;
  return fallback;
}

export class CanvasClient {
  private readonly tokens = new Map<string, CachedToken>();
  private key?: { pem: string; key: KeyObject };
  private readonly retryAfterMs: number;
  private readonly floor: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: CanvasClientOptions) {
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.floor = options.rateLimitFloor ?? 50;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends a request with a service token; on 401 (or a 403 that is not throttling) once more with a fresh one. */
  async send(request: CanvasRequest): Promise<CanvasAnswer> {
    let answer = await this.attempt(request, false);
    if (answer.status === 401 || (answer.status === 403 && !throttled(answer))) {
      answer = await this.attempt(request, true);
    }
    this.classify(answer, request);
    return answer;
  }

  private async attempt(request: CanvasRequest, fresh: boolean): Promise<CanvasAnswer> {
    const token = await this.token(request.scopes, fresh);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: request.accept ?? 'application/json',
    };
    if (request.body !== undefined)
      headers['content-type'] = request.contentType ?? 'application/json';
    return this.fetch(request.url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
  }

  private async fetch(url: string, init: RequestInit): Promise<CanvasAnswer> {
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
      throw new CanvasUnavailable(`Canvas is unreachable: ${why}`, this.retryAfterMs);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Canvas answers some errors (403 Rate Limit Exceeded) as text/plain.
    }
    return { status: response.status, body, headers: response.headers };
  }

  /** Throws for anything but 2xx; pauses before Canvas throttles when the bucket runs low. */
  private classify(answer: CanvasAnswer, request: CanvasRequest): void {
    const where = `${request.method} ${new URL(request.url).pathname}`;
    const { status } = answer;
    const retryAfter = parseRetryAfter(answer.headers.get('retry-after')) ?? this.retryAfterMs;
    if (status === 403 && throttled(answer))
      throw new CanvasUnavailable(
        `Canvas throttled ${where} (403 Rate Limit Exceeded)`,
        retryAfter,
      );
    if (status === 429 || status === 408 || status >= 500)
      throw new CanvasUnavailable(`Canvas answered ${where} with HTTP ${status}`, retryAfter);
    if (status === 401 || status === 403) {
      const message = canvasMessage(answer.body, `HTTP ${status}`);
      // A course where the tool is not deployed is that event's problem; other token trouble
      // (a scope not granted, a key turned off) is the admin's to fix, so the delivery waits.
      if (/not linked to a Tool associated with this Context/i.test(message))
        throw new CanvasRefused(`Canvas refused ${where}: ${message}`, status);
      throw new CanvasUnavailable(
        `Canvas refused the tool's access token twice for ${where}: ${message}`,
        retryAfter,
      );
    }
    if (status >= 400)
      throw new CanvasRefused(
        `Canvas refused ${where} (HTTP ${status}): ${canvasMessage(answer.body, 'no reason given')}`,
        status,
      );
    const remaining = Number(answer.headers.get('x-rate-limit-remaining'));
    if (answer.headers.has('x-rate-limit-remaining') && remaining < this.floor)
      this.lowBucket = { remaining, retryAfter };
  }

  /** Set when Canvas's rate-limit bucket is nearly empty: the writer stops before the next item. */
  lowBucket: { remaining: number; retryAfter: number } | undefined;

  /** Throws when the last answer said the bucket is nearly empty (checked between items). */
  checkBucket(): void {
    const low = this.lowBucket;
    if (!low) return;
    this.lowBucket = undefined;
    throw new CanvasUnavailable(
      `Canvas's rate limit is nearly used up (X-Rate-Limit-Remaining ${low.remaining}): pausing`,
      low.retryAfter,
    );
  }

  private async token(scopes: string[], fresh: boolean): Promise<string> {
    const scope = [...scopes].sort().join(' ');
    const cached = this.tokens.get(scope);
    if (!fresh && cached && cached.expiresAt > Date.now()) return cached.value;
    this.tokens.delete(scope);
    const credentials = await this.options.credentials();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: credentials.kid, typ: 'JWT' })
      .setIssuer(credentials.clientId)
      .setSubject(credentials.clientId)
      .setAudience(credentials.audience)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(randomUUID())
      .sign(this.privateKey(credentials.privateKeyPem));
    const answer = await this.fetch(credentials.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope,
      }).toString(),
    });
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (answer.status !== 200 || typeof body?.access_token !== 'string') {
      const message = canvasMessage(answer.body, `HTTP ${answer.status}`);
      // A refused token request is configuration (scope, key): the delivery waits for a fix.
      throw new CanvasUnavailable(
        `Canvas's token endpoint refused the tool (HTTP ${answer.status}): ${message}`,
        parseRetryAfter(answer.headers.get('retry-after')) ?? this.retryAfterMs,
      );
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    // A minute early, so a token never expires between our check and Canvas's.
    this.tokens.set(scope, {
      value: body.access_token,
      expiresAt: Date.now() + Math.max(0, lifetime - 60) * 1000,
    });
    return body.access_token;
  }

  private privateKey(pem: string): KeyObject {
    if (this.key?.pem !== pem) this.key = { pem, key: createPrivateKey(pem) };
    return this.key.key;
  }
}

/** Canvas's throttled answer: 403 with "Rate Limit Exceeded" (text/plain). */
function throttled(answer: CanvasAnswer): boolean {
  return answer.status === 403 && /rate limit exceeded/i.test(String(answer.body ?? ''));
}
