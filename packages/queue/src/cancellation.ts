import type { Redis } from "ioredis";

/**
 * Cancellation must reach whichever worker holds the run: BullMQ's own cancelJob only
 * reaches jobs of the calling worker instance. So the API writes a durable flag (checked
 * by the worker at least every second) and broadcasts on a pub/sub channel for speed.
 */
export const cancelFlagKey = (prefix: string, runId: string) => `${prefix}:cancel:${runId}`;
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;
const FLAG_TTL_SECONDS = 24 * 3600;

export async function requestCancel(redis: Redis, prefix: string, runId: string): Promise<void> {
  await redis.set(cancelFlagKey(prefix, runId), "1", "EX", FLAG_TTL_SECONDS);
  await redis.publish(cancelChannel(prefix), runId);
}

export async function isCancelRequested(redis: Redis, prefix: string, runId: string): Promise<boolean> {
  return (await redis.exists(cancelFlagKey(prefix, runId))) === 1;
}

export async function clearCancel(redis: Redis, prefix: string, runId: string): Promise<void> {
  await redis.del(cancelFlagKey(prefix, runId));
}

/**
 * Worker side: tracks the runs this process holds and aborts one when its cancel arrives,
 * by pub/sub or by the periodic flag check (pub/sub messages are lost across reconnects).
 */
export class CancellationWatcher {
  private readonly held = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly pollMs = 1_000,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on("message", (_channel: string, runId: string) => this.abort(runId));
    await this.subscriber.subscribe(cancelChannel(this.prefix));
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Registers a run; its controller is aborted with reason "cancelled" on request. */
  watch(runId: string, controller: AbortController): () => void {
    this.held.set(runId, controller);
    return () => this.held.delete(runId);
  }

  private abort(runId: string): void {
    const c = this.held.get(runId);
    if (c && !c.signal.aborted) c.abort("cancelled");
  }

  private async poll(): Promise<void> {
    for (const runId of this.held.keys()) {
      if (await isCancelRequested(this.redis, this.prefix, runId).catch(() => false)) this.abort(runId);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscriber.unsubscribe().catch(() => undefined);
  }
}
