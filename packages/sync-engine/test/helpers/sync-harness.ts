import { sisProviders, sisSyncRuns, type RunStats } from "@sis-sync/db";
import type { TestDatabase } from "@sis-sync/db/testing";
import { createLogger } from "@sis-sync/logger";
import type { ExtractBatch, SisConnector } from "@sis-sync/roster";
import { executeSync, type SyncOutcome, type SyncRunContext } from "../../src";
import { pagesConnector } from "./district-connector";

const logger = createLogger({ service: "sync-engine-test", level: "error" });

export interface TestProvider {
  id: string;
  tenantId: string;
  options: { createUsers: boolean; maxDeactivationRatio: number };
}

export async function createProvider(tdb: TestDatabase, tenantId: string, options: Partial<TestProvider["options"]> = {}): Promise<TestProvider> {
  const [row] = await tdb.db
    .insert(sisProviders)
    .values({ tenantId, providerType: "ONEROSTER_API", name: `p-${Math.random().toString(36).slice(2, 8)}`, configEncrypted: "v1.test", options })
    .returning();
  return { id: row.id, tenantId, options: { createUsers: true, maxDeactivationRatio: 0.2, ...options } };
}

export interface RunOptions {
  dryRun?: boolean;
  force?: boolean;
  signal?: AbortSignal;
  mode?: "full" | "incremental";
  /** The provider's stored incremental cursor (issue #9). */
  cursor?: string | null;
  /** The provider syncs incrementally: full reads return a cursor too. */
  incremental?: boolean;
}

export interface RunResult extends SyncOutcome {
  runId: string;
  phases: string[];
  progress: Record<string, number>;
}

/** Plays the worker's part: a run row, the context, and the final status written back. */
export async function runSync(tdb: TestDatabase, provider: TestProvider, connector: SisConnector, opts: RunOptions = {}): Promise<RunResult> {
  const [run] = await tdb.db
    .insert(sisSyncRuns)
    .values({ providerId: provider.id, tenantId: provider.tenantId, status: "IN_PROGRESS", isManual: true, dryRun: opts.dryRun ?? false, force: opts.force ?? false, startedAt: new Date() })
    .returning();
  const phases: string[] = [];
  let progress: Record<string, number> = {};
  const ctx: SyncRunContext = {
    db: tdb.db,
    pool: tdb.pool,
    run: { id: run.id, providerId: provider.id, tenantId: provider.tenantId, dryRun: opts.dryRun ?? false, force: opts.force ?? false, mode: opts.mode ?? "full" },
    provider: { id: provider.id, tenantId: provider.tenantId, providerType: "ONEROSTER_API", options: provider.options, syncCursor: opts.cursor ?? null, incremental: opts.incremental },
    connector,
    signal: opts.signal ?? new AbortController().signal,
    logger,
    setPhase: async (p) => void phases.push(p),
    reportProgress: (p) => void (progress = { ...progress, ...p }),
  };
  const { eq } = await import("drizzle-orm");
  let outcome: SyncOutcome;
  try {
    outcome = await executeSync(ctx);
  } catch (e) {
    await tdb.db.update(sisSyncRuns).set({ status: "FAILURE", completedAt: new Date() }).where(eq(sisSyncRuns.id, run.id));
    throw e;
  }
  await tdb.db
    .update(sisSyncRuns)
    .set({ status: outcome.status, stats: outcome.stats, errorMessage: outcome.errorMessage, completedAt: new Date(), mode: opts.mode ?? "full" })
    .where(eq(sisSyncRuns.id, run.id));
  return { ...outcome, runId: run.id, phases, progress };
}

export function kindStats(created = 0, updated = 0, deactivated = 0, unchanged = 0, errors = 0) {
  return { created, updated, deactivated, unchanged, errors };
}

export function zeroChange(stats: RunStats, counts: Record<keyof RunStats, number>): RunStats {
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, kindStats(0, 0, 0, n, 0)])) as RunStats;
}

const ROSTER_TABLES = [
  "roster_schools",
  "roster_classes",
  "roster_users",
  "roster_enrollments",
  "roster_school_sources",
  "roster_class_sources",
  "roster_user_sources",
  "roster_enrollment_sources",
] as const;

/** A fingerprint of every roster row (all columns), to prove a run wrote nothing. */
export async function rosterSnapshot(tdb: TestDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ROSTER_TABLES) {
    const { rows } = await tdb.pool.query(`select count(*)::int as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from ${t} x`);
    out[t] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

export async function countRows(tdb: TestDatabase, table: string, where = "true", params: unknown[] = []): Promise<number> {
  const { rows } = await tdb.pool.query(`select count(*)::int as n from ${table} where ${where}`, params);
  return rows[0].n;
}

/** Status counts of each roster kind for a tenant. */
export async function statusCounts(tdb: TestDatabase, tenantId: string): Promise<Record<string, { active: number; inactive: number }>> {
  const out: Record<string, { active: number; inactive: number }> = {};
  for (const [kind, table] of [
    ["schools", "roster_schools"],
    ["classes", "roster_classes"],
    ["users", "roster_users"],
    ["enrollments", "roster_enrollments"],
  ]) {
    out[kind] = {
      active: await countRows(tdb, table, "tenant_id = $1 and status = 'active'", [tenantId]),
      inactive: await countRows(tdb, table, "tenant_id = $1 and status = 'inactive'", [tenantId]),
    };
  }
  return out;
}

/** Stats with `errors: 0` added to the simulator's expected effects. */
export function withNoErrors(expected: Record<string, { created: number; updated: number; deactivated: number; unchanged: number }>): RunStats {
  return Object.fromEntries(Object.entries(expected).map(([k, e]) => [k, { ...e, errors: 0 }])) as RunStats;
}

/** A connector serving exactly these pages. */
export const connectorOf = (...pages: ExtractBatch[]): SisConnector => pagesConnector(() => pages);

/** Tenant ids unique within one test file. */
export function tenantIds(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
