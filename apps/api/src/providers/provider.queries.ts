import { and, count, desc, eq, inArray, isNull } from "drizzle-orm";
import { LIVE_STATUSES, sisProviders, sisRunErrors, sisSyncRuns, type Executor } from "@sis-sync/db";

export async function findProvider(db: Executor, id: string) {
  const [row] = await db.select().from(sisProviders).where(and(eq(sisProviders.id, id), isNull(sisProviders.deletedAt)));
  return row;
}

export async function listProviders(db: Executor, tenantId: string, limit: number, offset: number) {
  const where = and(eq(sisProviders.tenantId, tenantId), isNull(sisProviders.deletedAt));
  const [rows, [{ total }]] = await Promise.all([
    db.select().from(sisProviders).where(where).orderBy(sisProviders.createdAt, sisProviders.id).limit(limit).offset(offset),
    db.select({ total: count() }).from(sisProviders).where(where),
  ]);
  return { rows, total };
}

export async function findLiveRun(db: Executor, providerId: string) {
  const [run] = await db
    .select()
    .from(sisSyncRuns)
    .where(and(eq(sisSyncRuns.providerId, providerId), inArray(sisSyncRuns.status, [...LIVE_STATUSES])));
  return run;
}

export async function findLastFinishedRun(db: Executor, providerId: string) {
  const [run] = await db
    .select()
    .from(sisSyncRuns)
    .where(and(eq(sisSyncRuns.providerId, providerId), inArray(sisSyncRuns.status, ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"])))
    .orderBy(desc(sisSyncRuns.createdAt))
    .limit(1);
  return run;
}

export async function listRuns(db: Executor, providerId: string, limit: number, offset: number) {
  const where = eq(sisSyncRuns.providerId, providerId);
  const [rows, [{ total }]] = await Promise.all([
    db.select().from(sisSyncRuns).where(where).orderBy(desc(sisSyncRuns.createdAt), desc(sisSyncRuns.id)).limit(limit).offset(offset),
    db.select({ total: count() }).from(sisSyncRuns).where(where),
  ]);
  return { rows, total };
}

export async function findRun(db: Executor, runId: string) {
  const [run] = await db.select().from(sisSyncRuns).where(eq(sisSyncRuns.id, runId));
  return run;
}

export async function listRunErrors(db: Executor, runId: string, limit: number, offset: number) {
  const where = eq(sisRunErrors.runId, runId);
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({ entityType: sisRunErrors.entityType, externalId: sisRunErrors.externalId, message: sisRunErrors.message })
      .from(sisRunErrors)
      .where(where)
      .orderBy(sisRunErrors.id)
      .limit(limit)
      .offset(offset),
    db.select({ total: count() }).from(sisRunErrors).where(where),
  ]);
  return { rows, total };
}
