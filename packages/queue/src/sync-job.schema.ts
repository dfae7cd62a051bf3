import { z } from "zod";

/** A manual run: the API inserted the run row; the job id is the run id. */
export const manualSyncJobSchema = z.object({
  trigger: z.literal("manual"),
  runId: z.uuid(),
  providerId: z.uuid(),
});

/** A scheduler fire: the worker creates the run row (isManual=false) when it picks it up. */
export const scheduledSyncJobSchema = z.object({
  trigger: z.literal("schedule"),
  providerId: z.uuid(),
});

export const syncJobSchema = z.discriminatedUnion("trigger", [manualSyncJobSchema, scheduledSyncJobSchema]);
export type SyncJob = z.infer<typeof syncJobSchema>;
export type ManualSyncJob = z.infer<typeof manualSyncJobSchema>;

export const SYNC_JOB_NAME = { manual: "manual-sync", schedule: "scheduled-sync" } as const;
