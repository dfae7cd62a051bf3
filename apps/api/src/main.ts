import { loadConfig } from "@sis-sync/config";
import { createLogger } from "@sis-sync/logger";
import { startApi } from "./server";

/** Production entry of the API alone (`pnpm start` runs the whole stack for development). */
async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "sis-sync-api" });
  for (const n of config.notices) logger.warn(n);
  if (!config.DATABASE_URL || !config.REDIS_URL) throw new Error("The API needs DATABASE_URL and REDIS_URL (use `pnpm start` for embedded development services)");
  const api = await startApi({ config, logger, databaseUrl: config.DATABASE_URL, redisUrl: config.REDIS_URL });
  const stop = () => void api.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
