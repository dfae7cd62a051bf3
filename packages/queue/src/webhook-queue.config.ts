import type { JobsOptions } from "bullmq";
import { z } from "zod";

/** Webhook deliveries (issue #9): a queue of its own, so a slow receiver never holds a sync slot. */
export const WEBHOOK_QUEUE_NAME = "sis-webhooks";
export const WEBHOOK_JOB_NAME = "deliver";

export const webhookJobSchema = z.object({ deliveryId: z.uuid() });
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/**
 * attempts: WEBHOOK_MAX_ATTEMPTS (5) — then the delivery is dead-lettered (status DEAD, visible in
 * the API) and waits for a redelivery on request. Exponential backoff from WEBHOOK_RETRY_BASE_MS
 * (30 s → 30 s, 1 min, 2 min, 4 min): a receiver that is down for a deploy gets its batch after it
 * comes back, and one that is gone stops costing requests within minutes.
 */
export function webhookJobOptions(maxAttempts: number, retryBaseMs: number): JobsOptions {
  return {
    attempts: maxAttempts,
    backoff: { type: "exponential", delay: retryBaseMs },
    removeOnComplete: { age: 24 * 3600, count: 1_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
  };
}

/** One job per (delivery, generation): a redelivery is a new generation, so its job id is new. */
export function webhookJobId(deliveryId: string, generation: number | string): string {
  return `${deliveryId}-${generation}`;
}
