import type { JobsOptions, QueueOptions } from "bullmq";

export const SYNC_QUEUE_NAME = "sis-sync";

/**
 * Job options for sync jobs. attempts: 2 — a sync handed back on SIGTERM or whose worker
 * died is retried once from the start (syncs are idempotent); a sync that ends FAILURE is
 * not retried by BullMQ (its outcome is recorded on the run instead).
 */
export const syncJobOptions: JobsOptions = {
  attempts: 2,
  backoff: { type: "fixed", delay: 1_000 },
  // Keep finished jobs for Bull Board, bounded: the run table is the real history.
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

export function syncQueueOptions(prefix: string): Pick<QueueOptions, "prefix"> {
  return { prefix };
}
