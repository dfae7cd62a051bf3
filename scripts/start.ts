import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startApi } from "@sis-sync/api";
import { loadConfig } from "@sis-sync/config";
import { createLogger } from "@sis-sync/logger";
import { startSyncWorker } from "@sis-sync/worker";
import { startDevServices } from "./dev-services";

/**
 * `pnpm start`: the whole service in one process on embedded defaults — PostgreSQL and
 * Redis when no URLs are set (development only), the API, and one sync worker
 * (EMBEDDED_WORKER=false leaves workers to `pnpm start:worker`).
 */
async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "sis-sync" });
  for (const n of config.notices) logger.warn(n);
  if (config.NODE_ENV === "production" && (!config.DATABASE_URL || !config.REDIS_URL)) throw new Error("Production needs DATABASE_URL and REDIS_URL");

  const ui = join(__dirname, "../apps/admin-ui");
  if (existsSync(join(ui, "package.json")) && !existsSync(join(ui, "dist/index.html"))) {
    logger.info("Building the admin UI (first start)");
    spawnSync("pnpm", ["--filter", "@sis-sync/admin-ui", "build"], { stdio: "inherit" });
  }

  const services = await startDevServices({ dataDir: config.dataDir, databaseUrl: config.DATABASE_URL, redisUrl: config.REDIS_URL, logger });
  const api = await startApi({ config, logger, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl });
  const runWorker = process.env.EMBEDDED_WORKER === undefined ? true : config.EMBEDDED_WORKER;
  const worker = runWorker ? await startSyncWorker({ config, logger, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl }) : undefined;
  logger.info(`sis-sync is up: admin UI ${api.url}/integrations/sis , API docs ${api.url}/docs ; mint a token with \`pnpm token --role DISTRICT_ADMIN --tenant <id>\``);

  const stop = async () => {
    await worker?.close();
    await api.close();
    await services.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
