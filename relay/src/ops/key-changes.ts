import type { TrustedJwk } from '@cds/shared';
import { appendAudit } from '../audit/chain.js';
import type { Store } from '../db/connect.js';
import { writeTransaction } from '../db/transaction.js';

/** A change to the trusted keys, as the audit log records it (subject: the key's kid). */
export type KeyChange =
  | { action: 'key.generated'; jwk: TrustedJwk }
  | { action: 'key.rotated'; jwk: TrustedJwk; oldKid: string; retireAt: number }
  | { action: 'key.retired'; jwk: TrustedJwk };

function detailOf(change: KeyChange): Record<string, unknown> {
  const { jwk } = change;
  const base = { producer: jwk.producer ?? null, sources: jwk.sources ?? null };
  if (change.action === 'key.rotated')
    return { ...base, replaces: change.oldKid, oldKeyRetiresAt: change.retireAt };
  if (change.action === 'key.retired') return { ...base, retiredAt: jwk.retire_at ?? null };
  return base;
}

/**
 * Writes a key change to the audit log. A retirement is noticed by every web process when a grace
 * period ends, so it is recorded once: skipped when the log already has it.
 */
export async function auditKeyChange(
  store: Store,
  actor: string,
  change: KeyChange,
): Promise<void> {
  await writeTransaction(store, async (trx) => {
    if (change.action === 'key.retired') {
      const already = await trx
        .selectFrom('audit')
        .select('seq')
        .where('action', '=', 'key.retired')
        .where('subject', '=', change.jwk.kid)
        .executeTakeFirst();
      if (already) return;
    }
    await appendAudit(trx, [
      { actor, action: change.action, subject: change.jwk.kid, detail: detailOf(change) },
    ]);
  });
}
