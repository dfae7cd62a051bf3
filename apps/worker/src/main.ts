import { loadConfig } from "@sis-sync/config";
import { createLogger } from "@sis-sync/logger";
import { startSyncWorker } from "./start-worker";

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "sis-sync-worker" });
  for (const n of config.notices) logger.warn(n);
  if (!config.DATABASE_URL || !config.REDIS_URL) {
    throw new Error("The worker needs DATABASE_URL and REDIS_URL (use `pnpm start` for embedded development services)");
  }
  const handle = await startSyncWorker({ config, logger, databaseUrl: config.DATABASE_URL, redisUrl: config.REDIS_URL });
  const stop = (signal: string) => {
    logger.info(`${signal} received: stopping after running syncs (grace ${config.WORKER_SHUTDOWN_GRACE_MS} ms)`);
    void handle.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
