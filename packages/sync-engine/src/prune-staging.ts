import { sql } from "drizzle-orm";
import type { Executor } from "@sis-sync/db";

const STAGING = ["sis_raw_schools", "sis_raw_classes", "sis_raw_users", "sis_raw_enrollments", "sis_raw_unseen"] as const;

/**
 * Deletes the staging rows of runs created more than `olderThanDays` ago that are no longer
 * live (seed: staging is for debugging recent runs). Returns the number of rows removed.
 */
export async function pruneStaging(db: Executor, opts: { olderThanDays: number }): Promise<number> {
  let removed = 0;
  for (const table of STAGING) {
    const res = await db.execute(
      sql.raw(`delete from ${table} where run_id in (
         select id from sis_sync_runs
          where created_at < now() - make_interval(days => ${Math.max(0, Math.floor(opts.olderThanDays))})
            and status not in ('PENDING', 'IN_PROGRESS'))`),
    );
    removed += res.rowCount ?? 0;
  }
  return removed;
}
