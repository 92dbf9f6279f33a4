import {
  CdsError,
  isTargetError,
  mapDiscourseWebhook,
  type DiscourseLookup,
  type SyncEvent,
} from '@cds/shared';
import { z } from 'zod';
import type { DiscourseRest } from '../../connectors/discourse/rest.js';
import type { Store } from '../../db/connect.js';
import { ingestAuthentic, type IngestCore } from '../../ingest/accept.js';
import type { Logger } from '../../log.js';
import type { Db } from '../../store/common.js';
import { DISCOURSE_WEBHOOK_GRANT } from './router.js';

// The reconciliation poller (issue 11): Discourse drops a webhook delivery that failed unless
// `retry_web_hook_events` is on, and never retries a refused connection, so posts the relay did not
// hear about are read back from `GET /posts.json` and fed through the same mapping and ingest as
// the intake. Users are left to the webhooks: `/admin/users/list/active.json` (AdminUserListSerializer)
// carries no `updated_at`, only created/last-seen times, so "changed since the cursor" cannot be told.

/** The cursor table (migration 0004_discourse_poll_cursor): one row per thing polled. */
export interface DiscoursePollCursorTable {
  name: string;
  /** The highest Discourse post id the poller has ingested through. */
  post_id: number;
  updated_at: number;
}

const CURSOR = 'posts';

/**
 * A post of `GET /posts.json` `latest_posts` (PostsController#latest: PostSerializer with
 * `add_raw` and `add_title`, so `raw`, `topic_title` and `category_id` are present;
 * https://docs.discourse.org/#tag/Posts/operation/listPosts). Only the fields the webhook mapping
 * reads are checked; the rest is kept as sent.
 */
const latestPostSchema = z.looseObject({
  id: z.number().int().positive(),
  created_at: z.string(),
  updated_at: z.string(),
});
const latestPostsSchema = z.object({ latest_posts: z.array(latestPostSchema) });
type LatestPost = z.infer<typeof latestPostSchema>;

export interface DiscoursePollerDeps {
  rest: DiscourseRest;
  store: Store;
  /** The same ingest path as the intake (ingestAuthentic ignores its keys and replay guard). */
  ingest: () => IngestCore;
  lookup?: DiscourseLookup;
  discourseUrl?: string;
  /** DISCOURSE_POLL_INTERVAL. */
  intervalMs: number;
  logger: Logger;
  /** Pages of 50 posts read per run at most. @defaultValue 20 */
  maxPages?: number;
}

/** What one run did. */
export interface PollReport {
  /** Posts newer than the cursor, or on the newest page (their edits), that were mapped. */
  seen: number;
  /** Events logged by this run (the webhooks had missed them). */
  logged: number;
  /** Posts whose version was already in the log (a webhook, or an earlier run, brought it). */
  known: number;
  /** Posts with nothing to sync (unlinked category, private message, Discourse's own users). */
  skipped: number;
  cursor: number | undefined;
}

export interface DiscoursePoller {
  /** One pass now (tests; the loop calls it too). Rejects with what stopped it. */
  runOnce(): Promise<PollReport>;
  stop(): Promise<void>;
}

/** The post's version is in the log already: nothing of it is written again. */
class AlreadyLogged extends CdsError {
  constructor() {
    super('ERR_REPLAYED', 'this Discourse post version is already logged');
  }
}

/**
 * Starts polling every `intervalMs` (the worker role). The first run happens after one interval,
 * and waits longer when Discourse answered 429 with a longer Retry-After.
 */
export function startDiscoursePoller(deps: DiscoursePollerDeps): DiscoursePoller {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pollDiscourseOnce(deps).then(
        () => schedule(deps.intervalMs),
        (error: unknown) => {
          const wait = isTargetError(error) ? (error.retryAfterMs ?? 0) : 0;
          deps.logger.warn({ err: error }, 'Discourse reconciliation poll failed; will try again');
          schedule(Math.max(deps.intervalMs, wait));
        },
      );
    }, delayMs);
    timer.unref();
  };
  schedule(deps.intervalMs);

  return {
    runOnce: () => pollDiscourseOnce(deps),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/**
 * One pass: reads `/posts.json` newest first, page by page (`before` the lowest id seen) down to
 * the cursor, then maps each post, oldest first, as the webhook would have carried it and ingests
 * it, moving the cursor after each. Without a cursor (the first run) only the newest page is read:
 * the poller back-fills what webhooks miss from then on, it is no initial import.
 */
export async function pollDiscourseOnce(deps: DiscoursePollerDeps): Promise<PollReport> {
  const db = cursorDb(deps.store.db);
  const row = await db
    .selectFrom('discourse_poll_cursor')
    .select('post_id')
    .where('name', '=', CURSOR)
    .executeTakeFirst();
  let cursor = row === undefined ? undefined : Number(row.post_id);

  const posts = new Map<number, LatestPost>();
  let before: number | undefined;
  for (let page = 0; page < (deps.maxPages ?? 20); page++) {
    const answer = latestPostsSchema.parse(
      await deps.rest.request(
        'GET',
        `/posts.json${before === undefined ? '' : `?before=${before}`}`,
      ),
    );
    // The newest page is taken whole (recent edits); older pages down to the cursor.
    for (const p of answer.latest_posts)
      if (page === 0 || cursor === undefined || p.id > cursor) posts.set(p.id, p);
    if (answer.latest_posts.length === 0 || cursor === undefined) break;
    before = Math.min(...answer.latest_posts.map((p) => p.id));
    if (before <= cursor + 1) break;
    if (page === (deps.maxPages ?? 20) - 1)
      deps.logger.warn(
        { cursor, oldestRead: before },
        'Discourse poll: more new posts than maxPages; older ones are left to the webhooks',
      );
  }

  const report: PollReport = { seen: 0, logged: 0, known: 0, skipped: 0, cursor };
  for (const post of [...posts.values()].sort((a, b) => a.id - b.id)) {
    report.seen++;
    const outcome = await ingestPost(deps, post);
    report[outcome]++;
    if (cursor === undefined || post.id > cursor) {
      cursor = post.id;
      await saveCursor(deps.store.db, cursor);
    }
  }
  // A first run over an empty forum still records where it started.
  if (row === undefined && cursor === undefined) await saveCursor(deps.store.db, 0);
  report.cursor = cursor ?? 0;
  return report;
}

/**
 * Maps one post as a `post_created` (or `post_edited`, once edited) webhook body and ingests it
 * under the intake's grant. The body differs from the webhook's (WebHookPostSerializer has more
 * fields), so the SyncEvent id differs too: a version already logged is recognised by its key and
 * change time (`vv.discourse`, the post's `updated_at`) instead, inside the ingest transaction.
 */
async function ingestPost(
  deps: DiscoursePollerDeps,
  post: LatestPost,
): Promise<'logged' | 'known' | 'skipped'> {
  const event = post.updated_at === post.created_at ? 'post_created' : 'post_edited';
  const mapped = await mapDiscourseWebhook(
    event,
    { post },
    { lookup: deps.lookup, receivedAt: Date.now(), discourseUrl: deps.discourseUrl },
  );
  if ('skipped' in mapped) return 'skipped';
  try {
    const outcome = await ingestAuthentic(
      {
        grant: DISCOURSE_WEBHOOK_GRANT,
        producer: DISCOURSE_WEBHOOK_GRANT.producer,
        events: mapped.events,
        claim: async (trx) => {
          if (await allLogged(trx, mapped.events)) throw new AlreadyLogged();
        },
      },
      deps.ingest(),
    );
    return outcome.results.some((r) => r.status === 'accepted' || r.status === 'parked')
      ? 'logged'
      : 'known';
  } catch (error) {
    if (error instanceof AlreadyLogged) return 'known';
    throw error;
  }
}

/** Whether every event's version (its key and Discourse change time) is in the log already. */
export async function allLogged(db: Db, events: readonly SyncEvent[]): Promise<boolean> {
  for (const event of events) {
    const rows = await db
      .selectFrom('events')
      .select('body')
      .where('key', '=', event.key)
      .where('entity', '=', event.entity)
      .where('source', '=', 'discourse')
      .execute();
    const same = rows.some((r) => {
      const logged = JSON.parse(r.body) as { op?: string; vv?: Record<string, number> };
      return logged.op === event.op && logged.vv?.discourse === event.vv.discourse;
    });
    if (!same) return false;
  }
  return true;
}

function cursorDb(db: Db) {
  return db.withTables<{ discourse_poll_cursor: DiscoursePollCursorTable }>();
}

async function saveCursor(db: Db, postId: number): Promise<void> {
  const now = Date.now();
  await cursorDb(db)
    .insertInto('discourse_poll_cursor')
    .values({ name: CURSOR, post_id: postId, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ post_id: postId, updated_at: now }))
    .execute();
}
