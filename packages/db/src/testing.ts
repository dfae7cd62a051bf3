import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { createDb, type DbHandle } from "./client";
import { runMigrations } from "./migrate";

export const TEST_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase extends DbHandle {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database per test file, so files run in parallel against the real
 * Postgres and leave nothing behind. `adminUrl`: another server (a test's private cluster).
 */
export async function createTestDatabase(adminUrl: string = TEST_ADMIN_URL): Promise<TestDatabase> {
  const name = `sis_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = createDb(url.toString(), { max: 5 });
  await runMigrations(handle.pool);
  return {
    ...handle,
    url: url.toString(),
    name,
    async drop() {
      await handle.close().catch(() => undefined);
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
