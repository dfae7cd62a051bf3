import type { Database } from "@sis-sync/db";

/** Deletes staging rows of runs older than the retention period (the engine issue fills this in). */
export async function pruneStaging(_db: Database, _opts: { olderThanDays: number }): Promise<number> {
  return 0;
}
