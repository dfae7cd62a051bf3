import { Redis, type RedisOptions } from "ioredis";

export type RedisRole = "worker" | "producer" | "subscriber";

/**
 * Workers block on Redis and must never give up a command (`maxRetriesPerRequest: null`,
 * required by BullMQ); the API's producer connection fails fast instead, so a request
 * gets a 503 rather than hanging while Redis is down.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const base: RedisOptions =
    role === "producer"
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const redis = new Redis(url, { lazyConnect: false, retryStrategy: (n) => Math.min(n * 200, 2_000), ...base, ...extra });
  // Connection errors are retried by ioredis; without a listener they would crash the process.
  redis.on("error", () => undefined);
  return redis;
}

/** Resolves when the connection is ready (the producer has no offline queue to hide a slow start). */
export async function waitForRedis(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
