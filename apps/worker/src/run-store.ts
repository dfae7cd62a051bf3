import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { sisProviders, sisSyncRuns, type Executor, type RunProgress, type RunStats, type SisProviderRow, type SisSyncRunRow, type SyncPhase } from "@sis-sync/db";

/** Run-row lifecycle queries of the worker; each takes the db (or a transaction) first. */

export async function getLiveProvider(db: Executor, providerId: string): Promise<SisProviderRow | undefined> {
  const [row] = await db.select().from(sisProviders).where(and(eq(sisProviders.id, providerId), isNull(sisProviders.deletedAt)));
  return row;
}

const UNIQUE_VIOLATION = "23505";

/** A scheduler fire's run; undefined when the provider already has a live run (the unique index says so). */
export async function createScheduledRun(db: Executor, provider: SisProviderRow): Promise<SisSyncRunRow | undefined> {
  try {
    const [run] = await db.insert(sisSyncRuns).values({ providerId: provider.id, tenantId: provider.tenantId, isManual: false, mode: "auto" }).returning();
    return run;
  } catch (e) {
    if (pgCode(e) === UNIQUE_VIOLATION) return undefined;
    throw e;
  }
}

export function pgCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code ?? err?.cause?.code;
}

/**
 * Takes a live run for this attempt. A run still IN_PROGRESS here belongs to a worker that
 * died (BullMQ handed its job back), so the new attempt starts it over.
 */
export async function claimRun(db: Executor, runId: string, workerId: string): Promise<SisSyncRunRow | undefined> {
  const [run] = await db
    .update(sisSyncRuns)
    .set({
      status: "IN_PROGRESS",
      startedAt: sql`now()`,
      heartbeatAt: sql`now()`,
      phase: "extract",
      progress: {},
      errorMessage: null,
      workerId,
      attempt: sql`${sisSyncRuns.attempt} + 1`,
    })
    .where(and(eq(sisSyncRuns.id, runId), inArray(sisSyncRuns.status, ["PENDING", "IN_PROGRESS"])))
    .returning();
  return run;
}

const ownedBy = (runId: string, attempt: number) =>
  and(eq(sisSyncRuns.id, runId), eq(sisSyncRuns.attempt, attempt), eq(sisSyncRuns.status, "IN_PROGRESS"));

export async function heartbeat(db: Executor, runId: string, attempt: number, progress?: RunProgress, phase?: SyncPhase): Promise<boolean> {
  const rows = await db
    .update(sisSyncRuns)
    .set({ heartbeatAt: sql`now()`, ...(progress ? { progress } : {}), ...(phase ? { phase } : {}) })
    .where(ownedBy(runId, attempt))
    .returning({ id: sisSyncRuns.id });
  return rows.length === 1;
}

export type TerminalStatus = "SUCCESS" | "PARTIAL" | "FAILURE" | "CANCELLED";

export interface RunOutcomeWrite {
  status: TerminalStatus;
  stats: RunStats | null;
  errorMessage: string | null;
  progress?: RunProgress;
  nextCursor?: string | null;
  fullSync?: boolean;
  /** The mode the run ended up with (an incremental run that fell back to a full read is full). */
  mode?: "full" | "incremental";
  notes?: string | null;
}

const DAY_MS = 24 * 3600_000;

/**
 * issue #9: the mode of a run, decided when a worker claims it. `auto` (scheduled runs, manual
 * runs without a mode) is incremental only when the provider asks for it, holds a cursor and had
 * a full reconcile within `fullSyncEvery` days; an explicit `incremental` still needs a cursor.
 */
export function decideRunMode(
  requested: string,
  provider: Pick<SisProviderRow, "options" | "syncCursor" | "lastFullSyncAt">,
  now = new Date(),
): { mode: "full" | "incremental"; notes: string | null } {
  if (requested === "full") return { mode: "full", notes: null };
  const o = provider.options as { syncMode?: string; fullSyncEvery?: number };
  if (requested !== "incremental" && o.syncMode !== "incremental") return { mode: "full", notes: null };
  if (!provider.syncCursor) return { mode: "full", notes: "Full sync: no incremental cursor yet (the first successful sync stores one)" };
  if (requested !== "incremental") {
    const every = o.fullSyncEvery ?? 7;
    if (!provider.lastFullSyncAt || now.getTime() - provider.lastFullSyncAt.getTime() >= every * DAY_MS) {
      return { mode: "full", notes: `Full sync: the periodic full reconcile (every ${every} days) is due` };
    }
  }
  return { mode: "incremental", notes: null };
}

export async function setRunMode(db: Executor, runId: string, mode: "full" | "incremental", notes: string | null): Promise<void> {
  await db.update(sisSyncRuns).set({ mode, notes }).where(eq(sisSyncRuns.id, runId));
}

/** Writes the terminal state once, only if this attempt still owns the run. */
export async function finishRun(db: Executor, run: { id: string; providerId: string; attempt: number }, outcome: RunOutcomeWrite): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(sisSyncRuns)
      .set({
        status: outcome.status,
        stats: outcome.stats,
        errorMessage: outcome.errorMessage,
        ...(outcome.mode ? { mode: outcome.mode } : {}),
        ...(outcome.notes !== undefined ? { notes: outcome.notes } : {}),
        phase: "done",
        completedAt: sql`now()`,
        heartbeatAt: sql`now()`,
        ...(outcome.progress ? { progress: outcome.progress } : {}),
      })
      .where(ownedBy(run.id, run.attempt))
      .returning({ dryRun: sisSyncRuns.dryRun });
    if (rows.length !== 1) return false;
    if ((outcome.status === "SUCCESS" || outcome.status === "PARTIAL") && !rows[0].dryRun) {
      await tx
        .update(sisProviders)
        .set({
          lastSyncAt: sql`now()`,
          ...(outcome.nextCursor !== undefined ? { syncCursor: outcome.nextCursor } : {}),
          ...(outcome.fullSync ? { lastFullSyncAt: sql`now()` } : {}),
        })
        .where(eq(sisProviders.id, run.providerId));
    }
    return true;
  });
}

/** Ends a run that never started (cancelled while queued, provider gone). */
export async function endPendingRun(db: Executor, runId: string, status: TerminalStatus, errorMessage: string): Promise<boolean> {
  const rows = await db
    .update(sisSyncRuns)
    .set({ status, errorMessage, completedAt: sql`now()`, phase: "done" })
    .where(and(eq(sisSyncRuns.id, runId), eq(sisSyncRuns.status, "PENDING")))
    .returning({ id: sisSyncRuns.id });
  return rows.length === 1;
}

/** SIGTERM hand-back: the run waits for its retry on another worker. */
export async function handBackRun(db: Executor, run: { id: string; attempt: number }): Promise<boolean> {
  const rows = await db
    .update(sisSyncRuns)
    .set({ status: "PENDING", phase: null, errorMessage: "Handed back by a worker shutting down; will be retried" })
    .where(ownedBy(run.id, run.attempt))
    .returning({ id: sisSyncRuns.id });
  return rows.length === 1;
}

/** Runs whose worker stopped heart-beating (SIGKILL, OOM, lost node) end FAILURE. */
export async function failLostRuns(db: Executor, lockTimeoutMs: number): Promise<string[]> {
  const cutoff = sql`now() - (${lockTimeoutMs} * interval '1 millisecond')`;
  const rows = await db
    .update(sisSyncRuns)
    .set({
      status: "FAILURE",
      phase: "done",
      completedAt: sql`now()`,
      errorMessage: sql`'Worker lost: no heartbeat for ' || round(${lockTimeoutMs} / 1000.0) || ' s (the worker died or lost its connection); nothing was deactivated'`,
    })
    .where(and(eq(sisSyncRuns.status, "IN_PROGRESS"), lt(sisSyncRuns.heartbeatAt, cutoff)))
    .returning({ id: sisSyncRuns.id });
  return rows.map((r) => r.id);
}

export async function listStalePendingRuns(db: Executor, olderThanMs: number): Promise<string[]> {
  const rows = await db
    .select({ id: sisSyncRuns.id })
    .from(sisSyncRuns)
    .where(and(eq(sisSyncRuns.status, "PENDING"), lt(sisSyncRuns.createdAt, sql`now() - (${olderThanMs} * interval '1 millisecond')`)));
  return rows.map((r) => r.id);
}
