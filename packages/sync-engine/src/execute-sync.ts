import {
  ConnectorError,
  ENTITY_KINDS,
  deactivationGuardMessage,
  emptyRosterStats,
  finishedStatus,
  type EntityKind,
  type ExtractBatch,
  type ExtractResult,
  type RosterStats,
} from "@sis-sync/roster";
import type { PoolClient } from "pg";
import { loadRoster } from "./load-roster";
import { timed } from "./timed-client";
import { STAGING_TABLES, StagingWriter } from "./staging-writer";
import { UnchangedRecords, everyLinkSeenUnchanged, type LinkCensus } from "./unchanged-records";
import type { SyncOutcome, SyncRunContext } from "./sync-pipeline";
import { validateStaging } from "./validate-staging";

class SyncCancelled extends Error {
  constructor() {
    super("Cancelled on request");
  }
}

/** Any constant: namespaces the per-tenant roster lock among the service's advisory locks. */
const ROSTER_LOCK_NAMESPACE = 0x5150_0004;
/** The staging columns validation and the load filter and join on (their statistics matter). */
const STAGING_JOIN_COLUMNS: Record<EntityKind, string[]> = {
  schools: ["run_id", "external_id", "error", "deleted"],
  classes: ["run_id", "external_id", "error", "deleted", "school_external_id"],
  users: ["run_id", "external_id", "error", "deleted", "email_key", "student_number", "role"],
  enrollments: ["run_id", "external_id", "error", "deleted", "class_external_id", "user_external_id"],
};
/** Below this many staged rows of a kind, the planner's stale estimate (few rows) is the right one. */
const ANALYZE_STAGED_ROWS = 1000;
/**
 * For the validation and load transactions only. work_mem: big hash joins over staging; the
 * default 4 MB spills to disk at 100 k records. random_page_cost: most statements of a daily run
 * reach a few thousand rows of tables of millions through their indexes (the links that left,
 * their entities, their enrollments), in pages the OS has cached; at the default cost of 4 (a
 * spinning disk) the planner scanned all 10 M enrollments instead, 3-10 s a statement at the
 * large size (bench, issue #9). jit: compiling a statement took 0.1-0.4 s, more than most of
 * these statements run, and the big ones gain nothing from it (simple expressions, I/O-bound).
 */
const LOAD_PLANNER_SETTINGS = "set local work_mem = '64MB'; set local random_page_cost = 1.1; set local jit = off";
const CANCELLED: Pick<SyncOutcome, "status" | "errorMessage"> = { status: "CANCELLED", errorMessage: "Cancelled on request" };

const CLEAR_RUN_ROWS = `with ${[...ENTITY_KINDS.map((k) => STAGING_TABLES[k]), "sis_raw_unseen"]
  .map((t, i) => `c${i} as (delete from ${t} where run_id = $1)`)
  .join(", ")} delete from sis_run_errors where run_id = $1`;

/** A full run that staged nothing (no change, no record error) and saw every active link unchanged. */
function nothingChanged(staged: Record<EntityKind, number>, census: Record<EntityKind, LinkCensus> | null): boolean {
  return census !== null && ENTITY_KINDS.every((k) => staged[k] === 0 && everyLinkSeenUnchanged(census, k));
}

function statsWithErrors(counts: Partial<Record<EntityKind, number>>): RosterStats {
  const stats = emptyRosterStats();
  for (const k of ENTITY_KINDS) stats[k].errors = counts[k] ?? 0;
  return stats;
}

/**
 * extract → stage → load for one run (issue #4). The worker owns the run row; this writes
 * staging, the run's record errors and the roster, and returns the outcome.
 *
 * Consistency: the whole load (creates, updates, soft deletes) is one transaction, so a failure,
 * a cancel or a killed worker leaves the roster as the previous run left it, and nothing is ever
 * half-deactivated; a dry run and a tripped mass-removal guard roll it back after computing stats.
 */
export async function executeSync(ctx: SyncRunContext): Promise<SyncOutcome> {
  const { run, provider, signal, logger } = ctx;
  const checkpoint = () => {
    if (signal.aborted) throw new SyncCancelled();
  };
  const client = await ctx.pool.connect();
  let broken = false;
  const started = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string) => (timings[name] = Math.round(performance.now() - started));
  // A checked-out client emits 'error' when its connection dies (Postgres restart, terminated
  // backend); unheard, that would crash the worker. The failing query rejects on its own.
  const onClientError = (e: Error) => {
    broken = true;
    logger.warn("database connection lost during sync", { runId: run.id, err: e.message });
  };
  client.on("error", onClientError);
  try {
    // A retried run (worker hand-back) starts again from the beginning. One round trip.
    await client.query(CLEAR_RUN_ROWS, [run.id]);

    await ctx.setPhase("extract");
    const extracted = await extractToStaging(ctx, client, checkpoint);
    if ("status" in extracted) return extracted;
    lap("extractedMs");
    const { result, counts, staged, skipped, census } = extracted;
    // Absence means deletion only in a complete export: not in a delta file, nor in an
    // incremental read (unless the source could not serve one and sent everything).
    const delta = result.isDelta === true || (run.mode === "incremental" && result.fellBackToFull !== true);
    if (!delta && nothingChanged(staged, census)) {
      // Every record was skipped as unchanged and every active link was claimed: validation and
      // the load would find no error, no write and no deletion (a no-change re-sync, issue #4).
      await ctx.setPhase("done");
      const stats = emptyRosterStats();
      for (const k of ENTITY_KINDS) stats[k].unchanged = skipped[k];
      logger.info("sync loaded", { runId: run.id, dryRun: run.dryRun, stats, counts, timings, unchanged: true });
      return { status: finishedStatus(stats), stats, errorMessage: null, nextCursor: result.nextCursor };
    }

    // Every validation and load statement with its duration, at debug level (the bench's BENCH_LOG_LEVEL=debug).
    const sql = timed(client, logger.isLevelEnabled("debug") ? (text, ms) => logger.debug("sync statement", { runId: run.id, sql: text, ms }) : undefined);
    await ctx.setPhase("stage");
    // Fresh statistics for this run's rows: validation and load join on them. Deltas too: without
    // it a delta run at 100 k users got a plan 25x slower (bench, issue #9). Only where this run
    // staged enough rows to matter (a no-change run stages none), and only the columns validation
    // and the load filter and join on, whose low statistics target (migration 0003) keeps the
    // sample small on a staging table that holds the runs of the whole retention period.
    // (Without external_id's statistics a first sync planned one reference check as a 10 s loop.)
    const analyzed = ENTITY_KINDS.filter((k) => staged[k] >= ANALYZE_STAGED_ROWS);
    if (analyzed.length > 0) await sql.query(`analyze ${analyzed.map((k) => `${STAGING_TABLES[k]} (${STAGING_JOIN_COLUMNS[k].join(", ")})`).join(", ")}`);
    await sql.query("select pg_advisory_lock($1, hashtext($2))", [ROSTER_LOCK_NAMESPACE, run.tenantId]);
    let skippedWithErrors: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };
    try {
      // Flags and record errors land together (a cancel mid-way leaves none); planner settings as in the load.
      await client.query("begin");
      try {
        await client.query(LOAD_PLANNER_SETTINGS);
        skippedWithErrors = await validateStaging(sql, {
          runId: run.id,
          providerId: provider.id,
          tenantId: run.tenantId,
          createUsers: provider.options.createUsers,
          delta,
          skipped,
          census,
          checkpoint,
        });
        checkpoint();
        await client.query("commit");
      } catch (e) {
        await client.query("rollback").catch(() => (broken = true));
        throw e;
      }
      lap("validatedMs");

      await ctx.setPhase("load");
      await client.query("begin");
      let committed = false;
      try {
        await client.query(LOAD_PLANNER_SETTINGS);
        const { stats, overLimit } = await loadRoster(sql, {
          runId: run.id,
          providerId: provider.id,
          tenantId: run.tenantId,
          deactivateAbsent: !delta,
          skipped,
          skippedWithErrors,
          census,
          maxDeactivationRatio: provider.options.maxDeactivationRatio,
          force: run.force,
          checkpoint,
        });
        checkpoint();
        lap("loadedMs");
        if (overLimit.length > 0) {
          await client.query("rollback");
          committed = true;
          const message = deactivationGuardMessage(overLimit, provider.options.maxDeactivationRatio);
          logger.warn("mass-removal guard tripped; nothing written", { runId: run.id, overLimit });
          return { status: "FAILURE", stats: statsWithErrors(Object.fromEntries(ENTITY_KINDS.map((k) => [k, stats[k].errors]))), errorMessage: message };
        }
        await client.query(run.dryRun ? "rollback" : "commit");
        committed = true;
        lap("committedMs");
        await ctx.setPhase("done");
        logger.info("sync loaded", { runId: run.id, dryRun: run.dryRun, stats, counts, timings });
        return {
          status: finishedStatus(stats),
          stats,
          errorMessage: null,
          nextCursor: result.nextCursor,
          ...(run.mode === "incremental" && result.fellBackToFull === true ? { fellBackToFull: true } : {}),
        };
      } finally {
        if (!committed) await client.query("rollback").catch(() => (broken = true));
      }
    } finally {
      await client.query("select pg_advisory_unlock($1, hashtext($2))", [ROSTER_LOCK_NAMESPACE, run.tenantId]).catch(() => (broken = true));
    }
  } catch (e) {
    if (e instanceof SyncCancelled) return { ...CANCELLED, stats: await errorCounts(client, run.id).catch(() => emptyRosterStats()) };
    if (e instanceof ConnectorError) return { status: "FAILURE", stats: emptyRosterStats(), errorMessage: e.message };
    broken = true;
    throw e;
  } finally {
    // A connection that failed mid-COPY or mid-transaction is not given back to the pool.
    client.off("error", onClientError);
    client.release(broken ? true : undefined);
  }
}

async function errorCounts(client: PoolClient, runId: string): Promise<RosterStats> {
  const { rows } = await client.query<{ entity_type: string; n: string }>("select entity_type, count(*) as n from sis_run_errors where run_id = $1 group by entity_type", [runId]);
  const byType: Record<string, EntityKind> = { school: "schools", class: "classes", user: "users", enrollment: "enrollments" };
  return statsWithErrors(Object.fromEntries(rows.map((r) => [byType[r.entity_type], Number(r.n)])));
}

type Extracted =
  | {
      result: ExtractResult;
      counts: Record<EntityKind, number>;
      staged: Record<EntityKind, number>;
      skipped: Record<EntityKind, number>;
      /** The provider's active links as the fingerprint pass saw them (null for incremental reads). */
      census: Record<EntityKind, LinkCensus> | null;
    }
  | SyncOutcome;

/** Streams the connector's pages into staging, honouring cancellation between pages. */
async function extractToStaging(ctx: SyncRunContext, client: PoolClient, checkpoint: () => void): Promise<Extracted> {
  const { run, signal, logger } = ctx;
  // Incremental reads deliver changes only: nothing to skip, and loading every link's fingerprint
  // would cost more than the delta itself.
  const unchanged = run.mode === "incremental" ? null : new UnchangedRecords(client, run.id, ctx.provider.id);
  unchanged?.start(ctx.pool);
  const stager = new StagingWriter(client, run.id, unchanged);
  const pages = ctx.connector.extract({
    signal,
    logger,
    mode: run.mode,
    cursor: run.mode === "incremental" ? ctx.provider.syncCursor : null,
    wantCursor: run.mode === "incremental" || ctx.provider.incremental === true,
  });
  try {
    let next: IteratorResult<ExtractBatch, ExtractResult>;
    for (;;) {
      checkpoint();
      next = await pages.next();
      if (next.done) break;
      checkpoint();
      await stager.write(next.value);
      ctx.reportProgress(stager.counts);
    }
    await stager.close();
    ctx.reportProgress(stager.counts);
    return { result: next.value ?? { nextCursor: null }, counts: stager.counts, staged: stager.staged, skipped: { ...stager.skipped }, census: unchanged?.census ?? null };
  } catch (e) {
    await stager.abort();
    await pages.return?.(undefined as never).catch(() => undefined);
    if (e instanceof SyncCancelled || (signal.aborted && !(e instanceof ConnectorError && e.code !== "CANCELLED"))) {
      return { ...CANCELLED, stats: emptyRosterStats() };
    }
    if (e instanceof ConnectorError) {
      logger.warn("extract failed", { runId: run.id, code: e.code, message: e.message });
      return { status: "FAILURE", stats: emptyRosterStats(), errorMessage: e.message };
    }
    throw e;
  }
}
