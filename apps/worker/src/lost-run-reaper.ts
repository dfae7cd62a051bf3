import type { Database } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import type { Queue } from "bullmq";
import { endPendingRun, failLostRuns, listStalePendingRuns } from "./run-store";

/**
 * No run may stay live forever: IN_PROGRESS runs without a heartbeat for SYNC_LOCK_TIMEOUT
 * end FAILURE ("worker lost"), and PENDING runs whose job vanished from Redis end FAILURE.
 * Every worker runs this; the updates are conditional, so running it twice is harmless.
 */
export function startLostRunReaper(db: Database, queue: Queue, lockTimeoutMs: number, logger: Logger): () => void {
  const sweep = async () => {
    try {
      const lost = await failLostRuns(db, lockTimeoutMs);
      if (lost.length) logger.warn("ended runs whose worker was lost", { runIds: lost });
      for (const runId of await listStalePendingRuns(db, Math.max(lockTimeoutMs, 60_000))) {
        const job = await queue.getJob(runId);
        if (!job && (await endPendingRun(db, runId, "FAILURE", "The queued job was lost (Redis restarted without persistence?); please run the sync again"))) {
          logger.warn("ended a pending run whose job was lost", { runId });
        }
      }
    } catch (e) {
      logger.warn("lost-run sweep failed", { err: e });
    }
  };
  const timer = setInterval(() => void sweep(), Math.max(1_000, Math.min(30_000, lockTimeoutMs / 2)));
  timer.unref();
  void sweep();
  return () => clearInterval(timer);
}
