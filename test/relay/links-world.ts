// What the links tests share (issue 12, DESIGN.md section 3b): a real relay (real Redis, SQLite or
// PostgreSQL) writing to the Discourse simulator through its Discourse connector, the LTI tool's
// course tokens, the links API, and the simulator's record of what was written, in order.
import { exampleEvent, signStatusToken, type EntityType, type SyncEvent } from '@cds/shared';
import { SYNC_STATE_FIELD } from '../../relay/src/connectors/discourse/mapping.js';
import { LinkService } from '../../relay/src/links/service.js';
import * as m from '../sim/discourse/mutations.js';
import { startDiscourseSimulator, type DiscourseSimulator } from '../sim/discourse/server.js';
import { RelayHarness } from '../support/relay-harness.js';
import { waitFor } from '../support/wait.js';

/** The examples' course of grades and certificates, and of enrollments (a global Canvas id). */
export const COURSE = '565';
export const ENROLLMENT_COURSE = '21070000000000565';
export const TEACHER = '21070000000000987';
/** Where Discourse sends a student back after the User API key approval (the LTI page). */
export const REDIRECT = 'https://tool.example/cds/linked';

/** The Canvas id of example student `seq` (exampleCanvasId(seq, 20000) in @cds/shared). */
export const studentId = (seq: number) => String(21070000000000000n + BigInt(20000 + seq));

/** Example event `entity` of student `seq`. */
export const eventOf = (entity: EntityType, seq: number): SyncEvent => exampleEvent(entity, seq);

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/** One write the simulator took, in order: a user's fields, a badge grant, a group member. */
export interface Written {
  event: string;
  userId: number;
}

export class LinksWorld {
  sim!: DiscourseSimulator;
  h!: RelayHarness;
  service!: LinkService;
  readonly written: Written[] = [];

  constructor(
    private readonly dialect: 'sqlite' | 'postgres',
    /** Relay settings, or a function of the simulator making them (e.g. its category ids). */
    private readonly env:
      Record<string, string> | ((sim: DiscourseSimulator) => Record<string, string>) = {},
  ) {}

  async start(): Promise<this> {
    this.sim = await startDiscourseSimulator({ rateLimits: { adminApiPerMinute: 100_000 } });
    // What the plugin's register_editable_user_custom_field(:cds_sync_state, staff_only) does.
    this.sim.state.editableUserCustomFields.staff.add(SYNC_STATE_FIELD);
    this.sim.state.siteSettings.allowed_user_api_auth_redirects.push('https://tool.example/*');
    this.sim.state.changes.on('change', (change) => {
      if (!['user_updated', 'user_badge_granted', 'user_added_to_group'].includes(change.event))
        return;
      const userId =
        change.type === 'user_badge'
          ? (this.sim.state.userBadges.get(change.id)?.user_id ?? 0)
          : change.id;
      this.written.push({ event: change.event, userId });
    });
    this.h = await new RelayHarness({
      dialect: this.dialect,
      env: {
        DISCOURSE_URL: this.sim.url,
        DISCOURSE_API_KEY: this.sim.apiKey,
        ...(typeof this.env === 'function' ? this.env(this.sim) : this.env),
      },
    }).start();
    this.service = new LinkService(this.h.relay.store, this.h.relay.queues);
    return this;
  }

  async stop(): Promise<void> {
    await this.h?.stop();
    await this.sim?.close();
  }

  /** A Discourse account (its e-mail `<username>@example.invalid` unless given). */
  account(username: string, extra: { external_id?: string; email?: string } = {}) {
    return m.createUser(this.sim.state, { username, ...extra });
  }

  /** The simulator's writes of one account, in order. */
  writesOf(userId: number): string[] {
    return this.written.filter((w) => w.userId === userId).map((w) => w.event);
  }

  /** A course token as the LTI tool mints it at a launch. */
  token(role: 'instructor' | 'student', user: string, course = COURSE): Promise<string> {
    return signStatusToken({ course, role, user }, this.h.signer, { ttlSeconds: 300 });
  }

  async api(method: string, path: string, bearer: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${this.h.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  }

  /** The event's state and reason once it is no longer on its way. */
  async settled(id: string): Promise<{ state: string; reason: string | null }> {
    const row = await waitFor(`event ${id} settled`, async () => {
      const row = await this.h.relay.store.db
        .selectFrom('events')
        .select(['state', 'reason'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row && !['accepted', 'delivering'].includes(row.state) ? row : undefined;
    });
    return row!;
  }

  /** Links `canvasUserId` to `username`'s account as an admin would. */
  linkUser(canvasUserId: string, username: string, actor = 'admin') {
    const user = this.sim.state.userByUsername(username)!;
    return this.service.linkUser(
      {
        canvasUserId,
        discourseUserId: user.id,
        discourseUsername: user.username,
        method: 'admin',
      },
      actor,
    );
  }

  /** The Discourse connector's deliveries still to be sent (none once everything settled). */
  async pendingDeliveries(): Promise<number> {
    const rows = await this.h.relay.store.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('target', '=', 'discourse')
      .where('status', '=', 'pending')
      .execute();
    return rows.length;
  }

  /**
   * "Link my forum account" up to Discourse's answer: the relay's start, the student's browser at
   * the approval page, their approval as `username` (the simulator's control API stands in for
   * the click), and the payload Discourse redirects back with.
   */
  async approvedPayload(token: string, username: string, course = COURSE): Promise<string> {
    const started = await this.api('POST', `/v1/status/courses/${course}/me/link/start`, token, {
      redirect: REDIRECT,
    });
    if (started.status !== 200) throw new Error(`start answered ${JSON.stringify(started.body)}`);
    const url = new URL(started.body.url as string);
    const page = await fetch(url);
    if (page.status !== 200) throw new Error(`the approval page answered ${page.status}`);
    const approved = await fetch(`${this.sim.url}/__control/user-api-keys/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, nonce: url.searchParams.get('nonce') }),
    });
    const { redirect } = (await approved.json()) as { redirect: string };
    return new URL(redirect).searchParams.get('payload')!;
  }

  complete(token: string, payload: string, course = COURSE): Promise<Answer> {
    return this.api('POST', `/v1/status/courses/${course}/me/link/complete`, token, { payload });
  }

  async userLinks() {
    const rows = await this.h.relay.store.db.selectFrom('user_links').selectAll().execute();
    return rows.map((l) => [l.canvas_user_id, l.discourse_username, l.method]);
  }

  async auditOf(action: string) {
    return this.h.relay.store.db
      .selectFrom('audit')
      .select(['actor', 'action', 'subject', 'detail'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
  }
}
