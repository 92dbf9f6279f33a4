import { createHash } from 'node:crypto';
import { InvalidEvent } from '../../errors.js';

/** The largest time a UUIDv7 can hold: 48 bits of milliseconds since the Unix epoch. */
const MAX_UUID_V7_MS = 2 ** 48 - 1;

/**
 * A UUIDv7 (RFC 9562 section 5.7) made from its inputs alone: `unix_ts_ms` is `timeMs`, and the
 * 74 bits RFC 9562 leaves to randomness come from SHA-256 of `seed`. The same Live Event delivered
 * twice (Canvas retries) therefore gets the same SyncEvent id, and the relay drops the repeat.
 */
export function deterministicUuidV7(timeMs: number, seed: string): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_UUID_V7_MS)
    throw new InvalidEvent(`time ${timeMs} does not fit the 48-bit millisecond field of a UUIDv7`);
  const bytes = createHash('sha256').update(seed, 'utf8').digest().subarray(0, 16);
  // Bytes 0-5: the time, big-endian (2^48 exceeds 32-bit arithmetic, so split into two parts).
  const high = Math.floor(timeMs / 2 ** 32);
  const low = timeMs % 2 ** 32;
  bytes.writeUInt16BE(high, 0);
  bytes.writeUInt32BE(low, 2);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // variant 10 (RFC 9562)
  const hex = bytes.toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

/**
 * Canvas ids across shards (https://canvas.instructure.com/doc/api/file.object_ids.html): a global
 * id is `shard * 10^13 + local id` (switchman's Shard::IDS_PER_SHARD). Live Events send global ids
 * ("21070000000000565" = shard 2107, local 565), the REST and LTI APIs local ones for records of
 * the caller's shard (and accept either in paths). Every entity key carries the global form.
 */
export const CANVAS_IDS_PER_SHARD = 10_000_000_000_000n;

/** The local part of a global id ("21070000000000565" -> "565"); a local id unchanged. */
export function localCanvasId(id: string | number): string {
  return String(BigInt(id) % CANVAS_IDS_PER_SHARD);
}

/** The shard of a global id, or undefined for a local one. */
export function canvasShardOf(id: string): bigint | undefined {
  const shard = BigInt(id) / CANVAS_IDS_PER_SHARD;
  return shard === 0n ? undefined : shard;
}

/**
 * An id in its global form on `shard` (a global id is kept as it is); a missing, zero or negative
 * id (Canvas's automatic grader) is null.
 */
export function canvasIdOnShard(
  id: string | number | null | undefined,
  shard: bigint,
): string | null {
  if (id === null || id === undefined) return null;
  const n = BigInt(id);
  if (n <= 0n) return null;
  return n >= CANVAS_IDS_PER_SHARD ? String(n) : String(shard * CANVAS_IDS_PER_SHARD + n);
}

/**
 * A Canvas id in its global form, so every key names a course or user the same way whichever
 * event carried it: Live Events mostly send global ids, but some bodies (course_completed's course
 * and user) send local ones ("565"). A local id is placed on the shard of `reference`, a global
 * id of the same account (e.g. `metadata.root_account_id`); without a global reference the id is
 * returned as it is.
 */
export function globalCanvasId(id: string, reference: string | null | undefined): string {
  const local = BigInt(id);
  const shard = reference ? canvasShardOf(reference) : undefined;
  if (local >= CANVAS_IDS_PER_SHARD || shard === undefined) return id;
  return String(shard * CANVAS_IDS_PER_SHARD + local);
}
