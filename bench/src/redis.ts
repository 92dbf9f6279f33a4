// Redis helpers for the queue benchmarks: every run works under its own key prefix and removes it.
import { randomUUID } from 'node:crypto';
import { connectionUrl } from '@cds/relay';
import { Redis } from 'ioredis';

/** REDIS_URL, read and checked as the relay reads it. @defaultValue redis://127.0.0.1:6379 */
export function redisUrl(): string {
  return connectionUrl('REDIS_URL');
}

/** A BullMQ prefix no other run or test uses; the hash tag keeps a queue in one cluster slot. */
export function uniquePrefix(name: string): string {
  return `{bench-${name}-${randomUUID().slice(0, 8)}}`;
}

/** A connection as BullMQ workers need it: commands retry forever instead of failing. */
export function blockingConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Deletes every key under `prefix` (SCAN, not KEYS: Redis stays responsive); returns the count. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    // `*` and `?` are the only wildcards in a prefix like {bench-x-1234}; none are used.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
