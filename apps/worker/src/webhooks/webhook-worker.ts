import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { AppConfig } from "@sis-sync/config";
import type { ConfigCipher, Database } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import { WEBHOOK_JOB_NAME, webhookJobId, webhookJobOptions } from "@sis-sync/queue";
import { createWebhookProcessor } from "./webhook-delivery";
import { dispatchChanges, orphanedDeliveries } from "./webhook-dispatcher";

export interface WebhookWorkerHandle {
  /** Dispatch a tenant's new changes now (after a run); errors are logged, never thrown. */
  poke(tenantId?: string): void;
  close(): Promise<void>;
}

/** Deliveries at once per worker: receivers are slow, but each is one small POST. */
const DELIVERY_CONCURRENCY = 8;

export async function startWebhookWorker(opts: {
  config: AppConfig;
  db: Database;
  cipher: ConfigCipher;
  logger: Logger;
  connection: Redis;
  queueName: string;
}): Promise<WebhookWorkerHandle> {
  const { config, db, logger, connection, queueName } = opts;
  const prefix = config.REDIS_PREFIX;
  const log = logger.child({ queue: queueName });
  const queue = new Queue(queueName, { connection, prefix });
  queue.on("error", () => undefined);
  const jobOptions = webhookJobOptions(config.WEBHOOK_MAX_ATTEMPTS, config.WEBHOOK_RETRY_BASE_MS);
  const enqueue = async (ids: string[]) => {
    if (ids.length === 0) return;
    await queue.addBulk(ids.map((deliveryId) => ({ name: WEBHOOK_JOB_NAME, data: { deliveryId }, opts: { ...jobOptions, jobId: webhookJobId(deliveryId, 0) } })));
  };
  const worker = new Worker(
    queueName,
    createWebhookProcessor({ db, cipher: opts.cipher, logger: log, allowPrivateHosts: config.SIS_ALLOW_PRIVATE_HOSTS, timeoutMs: config.WEBHOOK_TIMEOUT_MS }),
    { connection, prefix, concurrency: DELIVERY_CONCURRENCY },
  );
  worker.on("error", (e) => log.warn("webhook worker connection error", { err: e }));

  let running: Promise<void> = Promise.resolve();
  const dispatch = (tenantId?: string) => {
    running = running
      .then(async () => enqueue(await dispatchChanges(db, tenantId ? { tenantId } : {})))
      .catch((e: unknown) => {
        log.warn("webhook dispatch failed", { err: e, tenantId });
      });
    return running;
  };
  const sweep = setInterval(() => {
    void dispatch();
    void orphanedDeliveries(db, 60_000)
      .then(enqueue)
      .catch((e: unknown) => log.warn("webhook orphan sweep failed", { err: e }));
  }, config.WEBHOOK_SWEEP_MS);
  sweep.unref();

  return {
    poke: (tenantId) => void dispatch(tenantId),
    async close() {
      clearInterval(sweep);
      await running;
      await worker.close();
      await queue.close();
    },
  };
}
