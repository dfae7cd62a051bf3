import { Queue, Worker } from "bullmq";
import type { AppConfig } from "@sis-sync/config";
import { ConfigCipher, createDb, type DbHandle } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import { CancellationWatcher, createRedis, SYNC_QUEUE_NAME, WEBHOOK_QUEUE_NAME } from "@sis-sync/queue";
import { createConnector } from "@sis-sync/connectors";
import { pruneChanges, pruneDeliveries, pruneStaging } from "@sis-sync/sync-engine";
import { startLostRunReaper } from "./lost-run-reaper";
import { createSyncProcessor, workerId, type ConnectorFactory } from "./sync-processor";
import { startWebhookWorker } from "./webhooks/webhook-worker";

export interface SyncWorkerHandle {
  workerId: string;
  /** Stops taking jobs; lets running syncs finish within the grace period, then hands them back. */
  close(graceMs?: number): Promise<void>;
}

export interface StartWorkerOptions {
  config: AppConfig;
  logger: Logger;
  databaseUrl: string;
  redisUrl: string;
  /** Tests may inject a connector double; the service always uses the real connectors. */
  connectorFactory?: ConnectorFactory;
}

export async function startSyncWorker({ config, logger, databaseUrl, redisUrl, connectorFactory }: StartWorkerOptions): Promise<SyncWorkerHandle> {
  const db: DbHandle = createDb(databaseUrl, { max: config.WORKER_CONCURRENCY * 2 + 2 });
  const connection = createRedis(redisUrl, "worker");
  const subscriber = createRedis(redisUrl, "subscriber");
  const prefix = config.REDIS_PREFIX;
  const log = logger.child({ workerId });

  const queue = new Queue(SYNC_QUEUE_NAME, { connection, prefix });
  queue.on("error", () => undefined);
  // Fleet-wide cap: no more than MAX_CONCURRENT_SYNCS active sync jobs whatever the number of workers.
  await queue.setGlobalConcurrency(config.MAX_CONCURRENT_SYNCS);

  const watcher = new CancellationWatcher(connection, subscriber, prefix);
  await watcher.start();
  const shutdown = new AbortController();

  const cipher = new ConfigCipher(config.encryptionKeys);
  // Webhook deliveries (issue #9) run beside the syncs on their own queue; a run only pokes the
  // dispatcher after it finished, so delivery never blocks or slows a sync.
  const webhooks = await startWebhookWorker({ config, db: db.db, cipher, logger: log, connection, queueName: WEBHOOK_QUEUE_NAME });
  const processor = createSyncProcessor({
    config,
    db,
    redis: connection,
    cipher,
    logger: log,
    watcher,
    createConnector: connectorFactory ?? createConnector,
    shutdownSignal: shutdown.signal,
    onRunFinished: (tenantId) => webhooks.poke(tenantId),
  });
  const worker = new Worker(SYNC_QUEUE_NAME, processor, {
    connection,
    prefix,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.SYNC_JOB_LOCK_MS,
    // Checked by every worker: a dead worker's job goes back to wait once, then fails.
    stalledInterval: Math.max(1_000, Math.floor(config.SYNC_JOB_LOCK_MS / 2)),
    maxStalledCount: 1,
  });
  worker.on("error", (e) => log.warn("worker connection error", { err: e }));
  worker.on("failed", (job, err) => log.info("sync job failed", { jobId: job?.id, err: err.message }));

  const stopReaper = startLostRunReaper(db.db, queue, config.SYNC_LOCK_TIMEOUT, log);
  const pruneTimer = setInterval(
    () => void pruneStaging(db.db, { olderThanDays: config.STAGING_RETENTION_DAYS }).catch((e: unknown) => log.warn("staging prune failed", { err: e })),
    6 * 3600_000,
  );
  pruneTimer.unref();
  // Change feed retention (issue #9). Hourly, and once soon after start, so workers that are
  // redeployed more often than every few hours still prune; an idle prune is one index lookup.
  // Batched and single-flighted across workers inside pruneChanges.
  const pruneChangesAbort = new AbortController();
  const runChangePrune = () =>
    void (async () => {
      const retention = { olderThanDays: config.CHANGE_FEED_RETENTION_DAYS, signal: pruneChangesAbort.signal };
      const changes = await pruneChanges(db.db, retention);
      const deliveries = await pruneDeliveries(db.db, retention);
      if (changes.removed + deliveries.removed > 0) {
        log.info("change feed pruned", { removed: changes.removed, batches: changes.batches, deliveriesRemoved: deliveries.removed, retentionDays: config.CHANGE_FEED_RETENTION_DAYS });
      }
    })().catch((e: unknown) => log.warn("change feed prune failed", { err: e }));
  const changePruneTimers = config.CHANGE_FEED_RETENTION_DAYS > 0 ? [setTimeout(runChangePrune, 60_000), setInterval(runChangePrune, 3600_000)] : [];
  for (const t of changePruneTimers) t.unref();
  log.info("sync worker started", { concurrency: config.WORKER_CONCURRENCY, maxConcurrentSyncs: config.MAX_CONCURRENT_SYNCS });

  let closing: Promise<void> | undefined;
  return {
    workerId,
    close(graceMs = config.WORKER_SHUTDOWN_GRACE_MS) {
      closing ??= (async () => {
        stopReaper();
        clearInterval(pruneTimer);
        for (const t of changePruneTimers) clearTimeout(t);
        pruneChangesAbort.abort();
        const grace = setTimeout(() => shutdown.abort("shutdown"), graceMs);
        await worker.close();
        clearTimeout(grace);
        await webhooks.close();
        await watcher.stop();
        await queue.close();
        await Promise.allSettled([connection.quit(), subscriber.quit()]);
        await db.close();
        log.info("sync worker stopped");
      })();
      return closing;
    },
  };
}
