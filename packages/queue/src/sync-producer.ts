import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { requestCancel } from "./cancellation";
import { SYNC_JOB_NAME, type ManualSyncJob } from "./sync-job.schema";
import { SYNC_QUEUE_NAME, syncJobOptions } from "./sync-queue.config";

export interface ScheduleSpec {
  providerId: string;
  cron: string;
  timezone: string;
}

/**
 * What the API does to the queue. The API uses only this class: it never imports worker code.
 */
export class SyncProducer {
  readonly queue: Queue;

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    this.queue = new Queue(SYNC_QUEUE_NAME, { connection: redis, prefix });
    this.queue.on("error", () => undefined);
  }

  async enqueueManualRun(job: Omit<ManualSyncJob, "trigger">): Promise<void> {
    await this.queue.add(SYNC_JOB_NAME.manual, { trigger: "manual", ...job }, { ...syncJobOptions, jobId: job.runId });
  }

  /** Removes a run's job if it has not started; false when a worker already holds it. */
  async removeWaitingJob(runId: string): Promise<boolean> {
    const job = await this.queue.getJob(runId);
    if (!job) return true;
    const state = await job.getState();
    if (state === "active") return false;
    await job.remove().catch(() => undefined);
    return (await this.queue.getJob(runId)) === undefined;
  }

  cancel(runId: string): Promise<void> {
    return requestCancel(this.redis, this.prefix, runId);
  }

  /** Idempotent by provider id: calling it again replaces the pattern, never adds a second one. */
  async upsertSchedule({ providerId, cron, timezone }: ScheduleSpec): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedulerId(providerId),
      { pattern: cron, tz: timezone },
      { name: SYNC_JOB_NAME.schedule, data: { trigger: "schedule", providerId }, opts: syncJobOptions },
    );
  }

  async removeSchedule(providerId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerId(providerId));
  }

  async listSchedules(): Promise<Array<{ providerId: string; pattern: string | undefined; tz: string | undefined; next: number | undefined }>> {
    const all = await this.queue.getJobSchedulers(0, -1, true);
    return all
      .filter((s) => s.key.startsWith(SCHEDULER_PREFIX))
      .map((s) => ({ providerId: s.key.slice(SCHEDULER_PREFIX.length), pattern: s.pattern ?? undefined, tz: s.tz ?? undefined, next: s.next }));
  }

  /**
   * Makes the scheduler set equal to the database's (the source of truth): adds missing,
   * updates changed, removes orphans. Safe to run from every replica at start-up.
   */
  async reconcileSchedules(wanted: ScheduleSpec[]): Promise<{ added: number; updated: number; removed: number }> {
    const existing = new Map((await this.listSchedules()).map((s) => [s.providerId, s]));
    let added = 0;
    let updated = 0;
    let removed = 0;
    for (const spec of wanted) {
      const cur = existing.get(spec.providerId);
      existing.delete(spec.providerId);
      if (cur && cur.pattern === spec.cron && (cur.tz ?? "UTC") === spec.timezone) continue;
      await this.upsertSchedule(spec);
      if (cur) updated++;
      else added++;
    }
    for (const orphan of existing.keys()) {
      await this.removeSchedule(orphan);
      removed++;
    }
    return { added, updated, removed };
  }

  async waitingCount(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed", "completed", "prioritized");
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

const SCHEDULER_PREFIX = "provider:";
export const schedulerId = (providerId: string) => `${SCHEDULER_PREFIX}${providerId}`;
