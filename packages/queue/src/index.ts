export { createRedis, waitForRedis, type RedisRole } from "./redis-connection";
export { SYNC_QUEUE_NAME, syncJobOptions } from "./sync-queue.config";
export { syncJobSchema, manualSyncJobSchema, scheduledSyncJobSchema, SYNC_JOB_NAME, type SyncJob, type ManualSyncJob } from "./sync-job.schema";
export { CancellationWatcher, requestCancel, isCancelRequested, clearCancel, cancelFlagKey } from "./cancellation";
export { SyncProducer, schedulerId, type ScheduleSpec } from "./sync-producer";
export { WEBHOOK_QUEUE_NAME, WEBHOOK_JOB_NAME, webhookJobSchema, webhookJobOptions, webhookJobId, type WebhookJob } from "./webhook-queue.config";
export { WebhookProducer } from "./webhook-producer";
export { deleteKeysByPrefix } from "./delete-keys";
