// Canvas ids across shards (https://canvas.instructure.com/doc/api/file.object_ids.html): Live
// Events send global ids ("21070000000000565" = shard 2107, local 565; canvas-lms uses switchman's
// Shard::IDS_PER_SHARD = 10^13), the REST API local ones for records of the caller's shard, and it
// accepts either in paths. The poller keys its events with global ids, as the Live Events do, so
// the same record has the same key on both paths.
const IDS_PER_SHARD = 10_000_000_000_000n;

/** The local part of a global id ("21070000000000565" -> "565"); a local id unchanged. */
export function localId(id: string | number): string {
  return String(BigInt(id) % IDS_PER_SHARD);
}

/** The shard of a global id, or undefined for a local one. */
export function shardOf(id: string): bigint | undefined {
  const shard = BigInt(id) / IDS_PER_SHARD;
  return shard === 0n ? undefined : shard;
}

/** A REST id as its global id on `shard`; a negative or null id (Canvas's automatic grader) is null. */
export function globalId(id: string | number | null | undefined, shard: bigint): string | null {
  if (id === null || id === undefined) return null;
  const n = BigInt(id);
  if (n <= 0n) return null;
  return n >= IDS_PER_SHARD ? String(n) : String(shard * IDS_PER_SHARD + n);
}
