import { InvalidConfig } from '@cds/shared';
import type { Store } from '../db/connect.js';

/** The newest record of the chain: its sequence number and hash (seq 0: the empty chain). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** The chain's head as the database holds it (the `audit_head` row). */
export async function readAuditHead(store: Store): Promise<AuditHead> {
  const { seq, hash } = await store.db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return { seq: Number(seq), hash };
}

/** `SEQ:HASH`, the form `cds audit head` prints and `cds audit verify --expect` takes. */
export function formatAuditHead(head: AuditHead): string {
  return `${head.seq}:${head.hash}`;
}

const HEAD_FORMAT = /^(\d{1,15}):([0-9a-f]{64})$/;

/** Parses `SEQ:HASH`; throws ERR_INVALID_CONFIG saying what the form is. */
export function parseAuditHead(text: string): AuditHead {
  const match = HEAD_FORMAT.exec(text.trim().toLowerCase());
  if (!match)
    throw new InvalidConfig(
      `expected a head as "cds audit head" prints it, SEQ:HASH (a record number, a colon and 64 hex digits), got "${text}"`,
    );
  return { seq: Number(match[1]), hash: match[2]! };
}
