import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { abortableSleep } from "./abortable-sleep";

export interface SharedRateLimiterOptions {
  redis: Redis | null;
  /** Redis key prefix (the deps' `redisPrefix`). */
  prefix: string;
  /** What the limit is counted against, e.g. the SIS host or a token's provider id. */
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * A fixed-window request budget shared by every worker through Redis, so two workers syncing
 * two providers of one SIS host together stay under the host's limit. Without Redis (unit tests,
 * a single process) it counts in memory; if Redis fails mid-run the in-memory insurance limiter
 * keeps requests flowing at the same rate per process rather than failing the sync.
 */
export class SharedRateLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly key: string;

  constructor(options: SharedRateLimiterOptions) {
    // Redis keys expire with `EX` (whole seconds), so the window is rounded up to a second.
    const duration = Math.max(1, Math.ceil(options.windowMs / 1000));
    const points = Math.max(1, Math.floor(options.limit));
    const memory = new RateLimiterMemory({ points, duration, keyPrefix: `${options.prefix}sis-rate` });
    this.limiter = options.redis
      ? new RateLimiterRedis({ storeClient: options.redis, points, duration, keyPrefix: `${options.prefix}sis-rate`, insuranceLimiter: memory })
      : memory;
    this.key = options.key;
  }

  /** Resolves when a request may be sent; waits for the next window when the budget is spent. */
  async acquire(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      try {
        await this.limiter.consume(this.key, 1);
        return;
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        await abortableSleep(Math.max(10, e.msBeforeNext), signal, "waiting for the request-rate limit");
      }
    }
  }
}
