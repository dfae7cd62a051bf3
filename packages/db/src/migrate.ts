import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type { Pool } from "pg";

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK_KEY = 0x5151_5e1c;

/** drizzle/ at the repo root (works from src/ under tsx and from a bundled dist/). */
export function migrationsFolder(): string {
  const candidates = [resolve(__dirname, "../../../drizzle"), resolve(process.cwd(), "drizzle"), "/app/drizzle"];
  const found = candidates.find((p) => existsSync(resolve(p, "meta/_journal.json")));
  if (!found) throw new Error(`drizzle migrations folder not found (looked in ${candidates.join(", ")})`);
  return found;
}

/**
 * Applies pending migrations under a Postgres advisory lock, so several replicas starting
 * at once run them exactly once; the others wait and then find nothing to do.
 */
export async function runMigrations(pool: Pool, folder = migrationsFolder()): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle(client), { migrationsFolder: folder });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
