import { loadConfig } from "@sis-sync/config";
import { createLogger } from "@sis-sync/logger";
import { createDb } from "./client";
import { migrationsFolder, runMigrations } from "./migrate";

/**
 * `pnpm db:migrate`: applies pending migrations and exits. The API also migrates at start-up
 * (under the same advisory lock), so this is for deploy pipelines and the Kubernetes
 * migration Job, which run it once before rolling out new pods.
 */
async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, service: "sis-sync-migrate" });
  if (!config.DATABASE_URL) throw new Error("db:migrate needs DATABASE_URL");
  const folder = migrationsFolder();
  const handle = createDb(config.DATABASE_URL, { max: 1 });
  try {
    logger.info(`Applying migrations from ${folder}`);
    await runMigrations(handle.pool, folder);
    logger.info("Migrations are up to date");
  } finally {
    await handle.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
