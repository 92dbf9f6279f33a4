import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections for BullMQ. Workers block on Redis and must retry forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires); the ingest's producer fails fast instead, so
 * a request is answered from the durable log when Redis is down and the sweeper queues it later.
 */
export function workerConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  // The Worker reports connection trouble through its own 'error' event (logged by RelayWorkers);
  // this keeps ioredis quiet while it reconnects after the Worker has let go of it.
  redis.on('error', () => undefined);
  return redis;
}

export function producerConnection(url: string): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
  };
  const redis = new Redis(url, options);
  redis.on('error', () => undefined); // reported where a command fails; no unhandled 'error' events
  return redis;
}

/** Closes a connection whatever its state; never throws. */
export async function closeConnection(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
