// SQLite's query planner picks the primary key for the relay's id-list queries (migration 0003).
import assert from 'node:assert/strict';
import type { CompiledQuery } from 'kysely';
import { openStore, type Store } from './connect.js';

describe('SQLite query plans for id-list queries', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
  });
  after(async () => {
    await store.close();
  });

  async function plan(query: CompiledQuery): Promise<string> {
    const explained = await store.db.executeQuery<{ detail: string }>({
      ...query,
      sql: `explain query plan ${query.sql}`,
    });
    return explained.rows.map((r) => r.detail).join('; ');
  }
  const ids = Array.from({ length: 100 }, (_, i) => `e${i}`);

  it('finds pending deliveries of 100 events by primary key, not by scanning every pending one', async () => {
    const query = store.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('target', '=', 'webhook-1')
      .where('status', '=', 'pending')
      .where('event_id', 'in', ids)
      .compile();
    assert.match(
      await plan(query),
      /USING INDEX sqlite_autoindex_deliveries_1 \(event_id=\? AND target=\?\)/,
    );
  });

  it('finds delivering events of 100 ids by primary key', async () => {
    const query = store.db
      .selectFrom('events')
      .select('id')
      .where('state', '=', 'delivering')
      .where('id', 'in', ids)
      .compile();
    assert.match(await plan(query), /USING INDEX sqlite_autoindex_events_1 \(id=\?\)/);
  });

  it('still finds idle pending deliveries through the status index', async () => {
    const query = store.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('status', '=', 'pending')
      .where('updated_at', '<=', 1)
      .compile();
    assert.match(await plan(query), /deliveries_status_idx \(status=\? AND updated_at<\?\)/);
  });
});
