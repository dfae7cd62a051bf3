import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { Pool, type PoolConfig } from "pg";
import * as schema from "./schema";

export type Database = NodePgDatabase<typeof schema>;
/** A database handle or a transaction: queries take this first so they run in either. */
export type Executor = Database | Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DbHandle {
  db: Database;
  pool: Pool;
  close(): Promise<void>;
}

export function createDb(url: string, options: Omit<PoolConfig, "connectionString"> = {}): DbHandle {
  const pool = new Pool({ connectionString: url, max: 10, idleTimeoutMillis: 30_000, ...options });
  // An idle client's error (e.g. Postgres restarted) must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}
