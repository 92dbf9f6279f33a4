import type { SeenStore } from '@cds/shared';
import type { Store } from '../db/connect.js';

/** Replay protection backed by the relay's database: one insert per request (per batch). */
export class DbSeenStore implements SeenStore {
  constructor(private readonly store: Store) {}

  async remember(jti: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const inserted = await this.store.db
      .insertInto('seen_tokens')
      .values({ jti, expires_at: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('jti')
          .doUpdateSet({ expires_at: now + ttlMs })
          .where('seen_tokens.expires_at', '<=', now),
      )
      .returning('jti')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Forgets token ids whose window has passed. */
  async prune(now = Date.now()): Promise<number> {
    const result = await this.store.db
      .deleteFrom('seen_tokens')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
