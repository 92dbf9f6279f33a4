// The page's way to the relay: every call carries a course token minted here, server-side, for
// the launch's course and role (signStatusToken, 5 minutes), so the browser never holds a relay
// credential. Status API: README "The relay in brief"; ingest: POST /v1/events.
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import {
  deterministicUuidV7,
  signEvent,
  signStatusToken,
  syncRequestKey,
  type CourseLink,
  type Signer,
  type SyncEvent,
  type SyncRequestV1,
  type UserLink,
} from '@cds/shared';
import type { PageIdentity } from './identity.js';

/** Lifetime of the course tokens the tool mints per call: short, since they are never shown. */
const TOKEN_SECONDS = 5 * 60;

/** A failure the page explains in words: what happened and what to do. */
export class RelayProblem extends Error {
  constructor(
    /** The HTTP status the page answers with. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelayProblem';
  }
}

/** The course's links as the relay shows them to this reader (DESIGN.md section 3b). */
export interface LinksView {
  /** The course's Discourse category and group; null until an instructor links it. */
  course: CourseLink | null;
  /** The reader's own forum account; null until linked. */
  me: UserLink | null;
  /** Events the reader may see that wait for a link, per reason ("pending: user not linked"). */
  waiting: Array<{ reason: string; count: number }>;
}

/** What a launch says of its user, for the relay's automatic user links (DESIGN.md 3b). */
export interface LaunchFacts {
  lti_sub?: string;
  sis_user_id?: string;
  login_id?: string;
  email?: string;
}

/** PUT .../link: a new category and group, or one of the categories an admin allowed. */
export type CourseLinkRequest = { create: { name: string } } | { category_id: number };

export interface CourseStatus {
  course: string;
  /** Absent from relays without the links API. */
  links?: LinksView;
  /** Per tier: unfinished events and the age of the oldest (ms). */
  backlog: Record<string, { backlog: number; lagMs: number }>;
  recent: Array<{
    id: string;
    entity: string;
    key: string;
    source: string;
    state: string;
    reason: string | null;
    tier: string;
    receivedAt: string;
    updatedAt: string;
  }>;
  conflicts: Array<{
    id: string;
    key: string;
    entity: string;
    eventIds: string[];
    fields: string[];
    createdAt: string;
  }>;
  deadLetters: Array<{
    eventId: string;
    key: string;
    entity: string;
    target: string;
    lastError: string | null;
    attempts: number;
    updatedAt: string;
  }>;
}

export interface RelayClientOptions {
  /** RELAY_URL, without a trailing slash. */
  relayUrl: string;
  /** The tool's producer key (sources canvas and manual). */
  signer: Signer;
}

interface RelayAnswer {
  status: number;
  body: unknown;
}

function codeOf(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

function messageOf(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}

export class RelayClient {
  readonly relayUrl: string;
  constructor(private readonly options: RelayClientOptions) {
    this.relayUrl = options.relayUrl.replace(/\/+$/, '');
  }

  /** A course token for this reader: their course, their role, their user id. */
  token(identity: PageIdentity): Promise<string> {
    return signStatusToken(
      { course: identity.course, role: identity.role, user: identity.user },
      this.options.signer,
      { ttlSeconds: TOKEN_SECONDS },
    );
  }

  private unreachable(error: unknown): RelayProblem {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return new RelayProblem(
      503,
      `The sync relay (${this.relayUrl}) cannot be reached right now (${cause}), so this page cannot show or change the course's sync. Nothing is lost: changes wait and are sent when it is back. Try again in a few minutes; if this lasts, tell your Canvas administrator that the relay is down.`,
    );
  }

  /** Turns a relay refusal into words for the page. */
  private refusal(answer: RelayAnswer, what: string): RelayProblem {
    const reason = messageOf(answer.body) ?? `HTTP ${answer.status}`;
    // The relay refuses its tokens as ERR_UNAUTHORIZED; a 401 with ERR_BAD_SIGNATURE or
    // ERR_EXPIRED is about what was sent (a forged or late link-back), not the tool's key.
    const code = codeOf(answer.body);
    if (answer.status === 401 && (code === 'ERR_BAD_SIGNATURE' || code === 'ERR_EXPIRED'))
      return new RelayProblem(400, `Could not ${what}: ${reason}`);
    if (answer.status === 401)
      return new RelayProblem(
        502,
        `The sync relay did not accept this tool's credentials (${reason}). Reload the page to try again; if this lasts, an administrator must trust the tool's key on the relay (cds keys generate --producer lti-tool --sources canvas,manual, then LTI_TOOL_KEY) and check that both clocks are right.`,
      );
    if (answer.status === 403)
      return new RelayProblem(403, `The relay refused to ${what}: ${reason}`);
    if (answer.status === 404) return new RelayProblem(404, `Nothing to ${what}: ${reason}`);
    if (answer.status === 409) return new RelayProblem(409, `Could not ${what}: ${reason}`);
    if (answer.status >= 500)
      return new RelayProblem(
        503,
        `The sync relay failed to ${what} (${reason}). Try again in a minute; if this lasts, tell your Canvas administrator.`,
      );
    return new RelayProblem(502, `The relay refused to ${what}: ${reason}`);
  }

  private async call(
    identity: PageIdentity,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<RelayAnswer> {
    let response: Response;
    try {
      response = await fetch(`${this.relayUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token ?? (await this.token(identity))}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { error: { message: text.slice(0, 200) } };
    }
    return { status: response.status, body: parsed };
  }

  /** GET /v1/status/courses/:course, as the reader's token allows (a student: their own keys). */
  async courseStatus(identity: PageIdentity, limit = 50): Promise<CourseStatus> {
    const answer = await this.call(identity, 'GET', this.coursePath(identity, `?limit=${limit}`));
    if (answer.status !== 200) throw this.refusal(answer, "read this course's sync status");
    return answer.body as CourseStatus;
  }

  private coursePath(identity: PageIdentity, rest = ''): string {
    return `/v1/status/courses/${encodeURIComponent(identity.course)}${rest}`;
  }

  /** GET .../link/options: the course's link and the categories an admin allowed. */
  async linkOptions(
    identity: PageIdentity,
  ): Promise<{ link: CourseLink | null; categories: Array<{ id: number; name: string }> }> {
    const answer = await this.call(identity, 'GET', this.coursePath(identity, '/link/options'));
    if (answer.status !== 200) throw this.refusal(answer, 'list the Discourse categories');
    return answer.body as {
      link: CourseLink | null;
      categories: Array<{ id: number; name: string }>;
    };
  }

  /** PUT .../link: links (or re-links) the course; instructors only (the relay checks again). */
  async linkCourse(identity: PageIdentity, request: CourseLinkRequest): Promise<CourseLink> {
    const answer = await this.call(identity, 'PUT', this.coursePath(identity, '/link'), request);
    if (answer.status !== 200) throw this.refusal(answer, 'link this course to Discourse');
    return (answer.body as { link: CourseLink }).link;
  }

  /** DELETE .../link: the relay's message says what stops syncing. */
  async unlinkCourse(identity: PageIdentity): Promise<{ message: string }> {
    const answer = await this.call(identity, 'DELETE', this.coursePath(identity, '/link'));
    if (answer.status !== 200) throw this.refusal(answer, "remove this course's link");
    return { message: String((answer.body as { message?: unknown }).message ?? '') };
  }

  /** PUT .../me/identity: what the launch says of its user (the token names the user). */
  async putIdentity(identity: PageIdentity, facts: LaunchFacts): Promise<void> {
    const answer = await this.call(
      identity,
      'PUT',
      this.coursePath(identity, '/me/identity'),
      facts,
    );
    if (answer.status !== 204) throw this.refusal(answer, 'note who you are in Canvas');
  }

  /** POST .../me/link/start: the Discourse page where the reader approves the link. */
  async startUserLink(identity: PageIdentity, redirect: string): Promise<string> {
    const answer = await this.call(identity, 'POST', this.coursePath(identity, '/me/link/start'), {
      redirect,
    });
    if (answer.status !== 200) throw this.refusal(answer, 'start linking your forum account');
    return String((answer.body as { url?: unknown }).url);
  }

  /** POST .../me/link/complete: Discourse's encrypted answer, for the token's own user only. */
  async completeUserLink(identity: PageIdentity, payload: string): Promise<UserLink> {
    const answer = await this.call(
      identity,
      'POST',
      this.coursePath(identity, '/me/link/complete'),
      { payload },
    );
    if (answer.status !== 200) throw this.refusal(answer, 'link your forum account');
    return (answer.body as { link: UserLink }).link;
  }

  /** DELETE .../me/link. */
  async unlinkMe(identity: PageIdentity): Promise<{ message: string }> {
    const answer = await this.call(identity, 'DELETE', this.coursePath(identity, '/me/link'));
    if (answer.status !== 200) throw this.refusal(answer, 'remove your forum link');
    return { message: String((answer.body as { message?: unknown }).message ?? '') };
  }

  /** POST /v1/status/conflicts/:id/resolve {take}: instructors only (the relay checks again). */
  async resolveConflict(
    identity: PageIdentity,
    conflictId: string,
    take: 'canvas' | 'discourse',
  ): Promise<{ eventId: string }> {
    const answer = await this.call(
      identity,
      'POST',
      `/v1/status/conflicts/${encodeURIComponent(conflictId)}/resolve`,
      { take },
    );
    if (answer.status !== 202) throw this.refusal(answer, 'resolve the conflict');
    return answer.body as { eventId: string };
  }

  /** POST /v1/status/dead-letters/:eventId/replay. */
  async replayDeadLetter(identity: PageIdentity, eventId: string): Promise<{ replayed: number }> {
    const answer = await this.call(
      identity,
      'POST',
      `/v1/status/dead-letters/${encodeURIComponent(eventId)}/replay`,
    );
    if (answer.status !== 202) throw this.refusal(answer, 'replay the dead letter');
    return answer.body as { replayed: number };
  }

  /** Signs `event` with the tool's key and posts it to POST /v1/events; the relay's result. */
  async send(
    identity: PageIdentity,
    event: SyncEvent,
  ): Promise<{ id: string; status: string; reason?: string }> {
    const jws = await signEvent(event, this.options.signer);
    let response: Response;
    try {
      response = await fetch(`${this.relayUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jws }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    const body = (await response.json().catch(() => undefined)) as
      { results?: Array<{ id?: string; status: string; reason?: string }> } | undefined;
    const result = body?.results?.[0];
    if (response.status !== 202 || !result || result.status === 'rejected')
      throw this.refusal(
        {
          status: response.status === 202 ? 422 : response.status,
          body: result ? { error: { message: result.reason } } : body,
        },
        `take the sync request for course ${identity.course}`,
      );
    return { id: result.id ?? event.id, status: result.status, reason: result.reason };
  }

  /**
   * Opens GET /v1/status/stream with the reader's token; resolves with the relay's response
   * stream (Server-Sent Events), or throws a RelayProblem. node:http rather than fetch: the
   * stream lives for minutes and must end when the browser leaves.
   */
  async openStream(identity: PageIdentity): Promise<IncomingMessage> {
    const token = await this.token(identity);
    const url = new URL(`${this.relayUrl}/v1/status/stream`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      req.once('error', (error) => reject(this.unreachable({ cause: error })));
      req.once('response', (res) => {
        if (res.statusCode === 200) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          reject(this.refusal({ status: res.statusCode ?? 502, body }, 'stream the status'));
        });
      });
      req.end();
    });
  }
}

/**
 * "Sync now": a `sync_request` for the launch's course, as a `manual` event the instructor's
 * launch vouches for. The relay logs and audits it with its key and delivers it to both sides;
 * each takes it as a trigger (the tool's writer back-fills the course from Canvas at once).
 * Its id and manual version are fresh each time: every click is a new request.
 */
export function syncNowEvent(identity: PageIdentity, now = Date.now()): SyncEvent {
  const payload: SyncRequestV1 = {
    course_id: identity.course,
    requested_by: identity.user,
    requested_at: new Date(now).toISOString(),
    reason: 'Sync now, from the course page',
  };
  const key = syncRequestKey(payload);
  return {
    id: deterministicUuidV7(now, `sync-now\n${key}\n${identity.user}\n${randomUUID()}`),
    source: 'manual',
    entity: 'sync_request',
    key,
    op: 'upsert',
    vv: { manual: now },
    hlc: { wall: now, counter: 0, node: 'lti-tool' },
    schema: 'sync_request@v1',
    payload,
  };
}
