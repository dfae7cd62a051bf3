import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { WEBHOOK_JOB_NAME, WEBHOOK_QUEUE_NAME, webhookJobId, webhookJobOptions } from "./webhook-queue.config";

/** What the API does to the webhook queue (a redelivery on request); the worker dispatches the rest. */
export class WebhookProducer {
  readonly queue: Queue;

  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(WEBHOOK_QUEUE_NAME, { connection: redis, prefix });
    this.queue.on("error", () => undefined);
  }

  /** A new generation of the delivery's job (a fresh job id), with the full retry budget again. */
  async redeliver(deliveryId: string, maxAttempts: number, retryBaseMs: number): Promise<void> {
    await this.queue.add(WEBHOOK_JOB_NAME, { deliveryId }, { ...webhookJobOptions(maxAttempts, retryBaseMs), jobId: webhookJobId(deliveryId, `r${Date.now()}`) });
  }
}
