import { and, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { LIVE_STATUSES, sisProviders, sisRunErrors, sisSyncRuns, type Executor } from "@sis-sync/db";

/**
 * The API's hot reads (every provider, run and status page) as named prepared statements, built
 * once per executor. drizzle's query builder costs ~0.25 ms of CPU per query, 3-4x the driver's
 * own cost: about a quarter of a simple read's CPU in `pnpm bench:api`; Postgres also parses and
 * plans each named statement once per connection instead of per query.
 */
function prepareHotReads(db: Executor) {
  const id = sql.placeholder("id");
  const page = { limit: sql.placeholder("limit"), offset: sql.placeholder("offset") };
  const liveProvider = and(eq(sisProviders.tenantId, sql.placeholder("tenantId")), isNull(sisProviders.deletedAt));
  return {
    findProvider: db.select().from(sisProviders).where(and(eq(sisProviders.id, id), isNull(sisProviders.deletedAt))).prepare("api_find_provider"),
    listProviders: db.select().from(sisProviders).where(liveProvider).orderBy(sisProviders.createdAt, sisProviders.id).limit(page.limit).offset(page.offset).prepare("api_list_providers"),
    countProviders: db.select({ total: count() }).from(sisProviders).where(liveProvider).prepare("api_count_providers"),
    findLiveRun: db
      .select()
      .from(sisSyncRuns)
      .where(and(eq(sisSyncRuns.providerId, id), inArray(sisSyncRuns.status, [...LIVE_STATUSES])))
      .prepare("api_find_live_run"),
    findLastFinishedRun: db
      .select()
      .from(sisSyncRuns)
      .where(and(eq(sisSyncRuns.providerId, id), inArray(sisSyncRuns.status, ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"])))
      .orderBy(desc(sisSyncRuns.createdAt))
      .limit(1)
      .prepare("api_find_last_finished_run"),
    listRuns: db
      .select()
      .from(sisSyncRuns)
      .where(eq(sisSyncRuns.providerId, id))
      .orderBy(desc(sisSyncRuns.createdAt), desc(sisSyncRuns.id))
      .limit(page.limit)
      .offset(page.offset)
      .prepare("api_list_runs"),
    countRuns: db.select({ total: count() }).from(sisSyncRuns).where(eq(sisSyncRuns.providerId, id)).prepare("api_count_runs"),
    findRun: db.select().from(sisSyncRuns).where(eq(sisSyncRuns.id, id)).prepare("api_find_run"),
  };
}
// Weak: a transaction's statements go with it.
const hotReads = new WeakMap<Executor, ReturnType<typeof prepareHotReads>>();
function reads(db: Executor) {
  let r = hotReads.get(db);
  if (!r) hotReads.set(db, (r = prepareHotReads(db)));
  return r;
}

export async function findProvider(db: Executor, id: string) {
  const [row] = await reads(db).findProvider.execute({ id });
  return row;
}

export async function listProviders(db: Executor, tenantId: string, limit: number, offset: number) {
  const q = reads(db);
  const [rows, [{ total }]] = await Promise.all([q.listProviders.execute({ tenantId, limit, offset }), q.countProviders.execute({ tenantId })]);
  return { rows, total };
}

export async function findLiveRun(db: Executor, providerId: string) {
  const [run] = await reads(db).findLiveRun.execute({ id: providerId });
  return run;
}

export async function findLastFinishedRun(db: Executor, providerId: string) {
  const [run] = await reads(db).findLastFinishedRun.execute({ id: providerId });
  return run;
}

export async function listRuns(db: Executor, providerId: string, limit: number, offset: number) {
  const q = reads(db);
  const [rows, [{ total }]] = await Promise.all([q.listRuns.execute({ id: providerId, limit, offset }), q.countRuns.execute({ id: providerId })]);
  return { rows, total };
}

export async function findRun(db: Executor, runId: string) {
  const [run] = await reads(db).findRun.execute({ id: runId });
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
