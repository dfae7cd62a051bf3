import { and, count, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { rosterChangeRetention, rosterChanges, type ChangeKind, type Database, type Executor } from "@sis-sync/db";

/** Rows per delete: small enough that each statement holds its row locks and WAL for well under a second. */
export const CHANGE_PRUNE_BATCH_SIZE = 2_000;

// One pruner at a time across the fleet; any constant works as long as every worker uses it.
const PRUNE_LOCK_KEY = 0x5151_c4a9;

export interface PruneChangesOptions {
  /** Changes created longer ago than this are removed; 0 keeps every change (no pruning). */
  olderThanDays: number;
  batchSize?: number;
  /** Stops between batches (worker shutdown). */
  signal?: AbortSignal;
}

export interface PruneChangesResult {
  removed: number;
  batches: number;
}

/**
 * Change feed retention (issue #9): deletes changes created more than `olderThanDays` ago, in
 * batches of `batchSize` change ids, each batch its own short transaction — never one DELETE
 * over the whole backlog, which would hold its locks and bloat the table for as long as it ran.
 *
 * Kept past the cutoff, because webhook deliveries are rebuilt from change rows on every attempt
 * (`webhook_deliveries` holds an id range, not the changes): the changes of a PENDING delivery,
 * and changes a live endpoint has not yet cut into a delivery (after its `last_change_id`, of its
 * kinds). DELIVERED and DEAD deliveries do not hold their changes; a redelivery of one whose
 * changes are gone is refused (API) or dead-lettered (worker) rather than sent incomplete.
 *
 * The largest id removed per tenant goes to `roster_change_retention` in the same statement as
 * the delete, so the API can tell a cursor that would skip removed changes (410) from one that
 * would not.
 *
 * Batches walk the primary key upwards from the last window (keyset), up to the newest change
 * older than the cutoff (found through `roster_changes_created_at_idx`), so a batch never rescans
 * rows an earlier batch deleted, and the recent end of the table is never read.
 */
export async function pruneChanges(db: Database, opts: PruneChangesOptions): Promise<PruneChangesResult> {
  const result: PruneChangesResult = { removed: 0, batches: 0 };
  const days = Math.floor(opts.olderThanDays);
  if (!(days > 0)) return result;
  const batch = Math.max(1, Math.floor(opts.batchSize ?? CHANGE_PRUNE_BATCH_SIZE));

  // The cutoff is fixed once per call so that every batch agrees on what "old" means.
  const bound = await db.execute<{ cutoff: Date; upto: string | null }>(
    sql`select c.cutoff, (select id from roster_changes where created_at < c.cutoff order by created_at desc limit 1) as upto
          from (select now() - make_interval(days => ${days}) as cutoff) c`,
  );
  const { cutoff, upto: uptoText } = bound.rows[0];
  if (uptoText === null) return result;
  // Ids and commit times are not strictly in the same order (a load's rows carry its transaction's
  // start time), so `upto` only bounds the walk; each row is still checked against the cutoff.
  const upto = Number(uptoText);

  let last = 0;
  while (last < upto && !opts.signal?.aborted) {
    const step = await db.transaction(async (tx) => {
      const lock = await tx.execute<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${PRUNE_LOCK_KEY}) as ok`);
      // Another worker is pruning: leave it to that one rather than contend for the same rows.
      if (!lock.rows[0].ok) return null;
      const r = await tx.execute<{ window_end: string | null; removed: string }>(sql`
        with win as (
          select id from roster_changes where id > ${last} and id <= ${upto} order by id limit ${batch}
        ), gone as (
          delete from roster_changes c using win
           where c.id = win.id
             and c.created_at < ${cutoff}
             and not exists (
               select 1 from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
                where d.status = 'PENDING' and d.tenant_id = c.tenant_id and e.deleted_at is null
                  and c.id > d.from_change_id and c.id <= d.to_change_id and c.kind = any(e.kinds))
             and not exists (
               select 1 from webhook_endpoints e
                where e.tenant_id = c.tenant_id and e.deleted_at is null
                  and c.id > e.last_change_id and c.kind = any(e.kinds))
          returning c.tenant_id, c.id
        ), marked as (
          insert into roster_change_retention (tenant_id, pruned_through_id, pruned_at)
          select tenant_id, max(id), now() from gone group by tenant_id
          on conflict (tenant_id) do update
            set pruned_through_id = greatest(roster_change_retention.pruned_through_id, excluded.pruned_through_id),
                pruned_at = excluded.pruned_at
          returning 1
        )
        select (select max(id) from win) as window_end, (select count(*) from gone) as removed`);
      return r.rows[0];
    });
    if (step === null || step.window_end === null) break;
    result.batches += 1;
    result.removed += Number(step.removed);
    last = Number(step.window_end);
  }
  return result;
}

/**
 * Webhook delivery history under the same retention: DELIVERED and DEAD deliveries whose last
 * activity is older than `olderThanDays` are removed, in batches. Their changes are past the
 * retention too, so such a delivery could no longer be redelivered (the API already answered 410).
 * PENDING deliveries stay whatever their age: they still hold their changes (see pruneChanges).
 */
export async function pruneDeliveries(db: Database, opts: PruneChangesOptions): Promise<{ removed: number }> {
  const days = Math.floor(opts.olderThanDays);
  if (!(days > 0)) return { removed: 0 };
  const batch = Math.max(1, Math.floor(opts.batchSize ?? CHANGE_PRUNE_BATCH_SIZE));
  let removed = 0;
  while (!opts.signal?.aborted) {
    const r = await db.execute<{ n: number }>(sql`
      with gone as (
        delete from webhook_deliveries where id in (
          select id from webhook_deliveries
           where status in ('DELIVERED', 'DEAD')
             and greatest(created_at, last_attempt_at, delivered_at) < now() - make_interval(days => ${days})
           limit ${batch})
        returning 1)
      select count(*)::int as n from gone`);
    const n = Number(r.rows[0].n);
    removed += n;
    if (n < batch) break;
  }
  return { removed };
}

/** The largest change id retention removed from a tenant's feed (0 when nothing was removed). */
export async function changeFeedPrunedThrough(db: Executor, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ id: rosterChangeRetention.prunedThroughId })
    .from(rosterChangeRetention)
    .where(eq(rosterChangeRetention.tenantId, tenantId));
  return row?.id ?? 0;
}

/** How many of a delivery's changes (ids in (fromId, toId] of the endpoint's kinds) still exist. */
export async function countChangesInRange(db: Executor, tenantId: string, fromId: number, toId: number, kinds: string[]): Promise<number> {
  const [{ n }] = await db
    .select({ n: count() })
    .from(rosterChanges)
    .where(and(eq(rosterChanges.tenantId, tenantId), gt(rosterChanges.id, fromId), lte(rosterChanges.id, toId), inArray(rosterChanges.kind, kinds as ChangeKind[])));
  return Number(n);
}
