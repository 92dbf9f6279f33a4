import type { Db } from './common.js';

/**
 * Records a token id (jti) until `expiresAt`, inside the caller's transaction: the ingest writes it
 * with the events the token carries, so a failed write forgets the jti too and the producer's retry
 * is accepted. Resolves false when the jti is recorded and not yet expired (a replay).
 */
export async function recordToken(
  db: Db,
  jti: string,
  expiresAt: number,
  now = Date.now(),
): Promise<boolean> {
  const inserted = await db
    .insertInto('seen_tokens')
    .values({ jti, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('jti')
        .doUpdateSet({ expires_at: expiresAt })
        .where('seen_tokens.expires_at', '<=', now),
    )
    .returning('jti')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Forgets token ids whose window has passed: an expired token is refused by its age anyway. */
export async function pruneTokens(db: Db, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('seen_tokens')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
