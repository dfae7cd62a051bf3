import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, isNotNull, isNull, eq } from "drizzle-orm";
import type { AppConfig } from "@sis-sync/config";
import { ConfigCipher, createDb, runMigrations, sisProviders, type Database } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import { createRedis, SyncProducer, waitForRedis } from "@sis-sync/queue";
import { createApp } from "./app";
import { createTokenVerifier } from "./auth/jwt-verifier";
import { resolveSchedule } from "./schedule/sync-schedule";

export interface ApiHandle {
  url: string;
  server: Server;
  producer: SyncProducer;
  close(): Promise<void>;
}

export interface StartApiOptions {
  config: AppConfig;
  logger: Logger;
  databaseUrl: string;
  redisUrl: string;
}

/** The database is the source of truth for schedules: make BullMQ's scheduler set match it. */
export async function reconcileSchedules(db: Database, producer: SyncProducer, logger: Logger): Promise<void> {
  const rows = await db
    .select({ id: sisProviders.id, syncSchedule: sisProviders.syncSchedule, syncTimezone: sisProviders.syncTimezone })
    .from(sisProviders)
    .where(and(isNull(sisProviders.deletedAt), eq(sisProviders.enabled, true), isNotNull(sisProviders.syncSchedule)));
  const wanted = rows.flatMap((r) => {
    try {
      return [{ providerId: r.id, cron: resolveSchedule(r.syncSchedule!), timezone: r.syncTimezone }];
    } catch {
      logger.warn("provider has an invalid stored schedule; not scheduling it", { providerId: r.id });
      return [];
    }
  });
  const result = await producer.reconcileSchedules(wanted);
  logger.info("schedules reconciled", result);
}

export async function startApi({ config, logger, databaseUrl, redisUrl }: StartApiOptions): Promise<ApiHandle> {
  const db = createDb(databaseUrl);
  await runMigrations(db.pool);
  const redis = createRedis(redisUrl, "producer");
  await waitForRedis(redis);
  const producer = new SyncProducer(redis, config.REDIS_PREFIX);
  await producer.queue.setGlobalConcurrency(config.MAX_CONCURRENT_SYNCS);
  await reconcileSchedules(db.db, producer, logger);

  const app = createApp({
    config,
    db: db.db,
    redis,
    producer,
    cipher: new ConfigCipher(config.encryptionKeys),
    logger,
    verifyToken: createTokenVerifier(config),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info(`API listening on ${url}`);
  return {
    url,
    server,
    producer,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await producer.close();
      await redis.quit().catch(() => undefined);
      await db.close();
    },
  };
}
