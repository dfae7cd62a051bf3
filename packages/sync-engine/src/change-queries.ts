import { and, asc, count, eq, gt, inArray, lte, type SQL } from "drizzle-orm";
import { rosterChanges, type ChangeAction, type ChangeKind, type Executor, type RosterChangeRow } from "@sis-sync/db";

/**
 * Reads of the change feed (issue #9). Feed positions are opaque to clients: `c1.<base64url id>`
 * today; the prefix lets the format change without breaking stored cursors.
 */
export function encodeChangeCursor(id: number): string {
  return `c1.${Buffer.from(String(id)).toString("base64url")}`;
}

/** The change id a cursor stands for; null when it is not one of ours. */
export function decodeChangeCursor(cursor: string): number | null {
  const m = /^c1\.([A-Za-z0-9_-]{1,24})$/.exec(cursor);
  if (!m) return null;
  const text = Buffer.from(m[1], "base64url").toString();
  return /^\d{1,16}$/.test(text) ? Number(text) : null;
}

export interface ChangeView {
  /** The change's feed position (a cursor: `after=` it to read what follows). */
  id: string;
  runId: string;
  providerId: string;
  kind: ChangeKind;
  action: ChangeAction;
  entityId: string;
  externalId: string | null;
  changedFields: string[] | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

export function changeView(row: RosterChangeRow): ChangeView {
  return {
    id: encodeChangeCursor(row.id),
    runId: row.runId,
    providerId: row.providerId,
    kind: row.kind,
    action: row.action,
    entityId: row.entityId,
    externalId: row.externalId,
    changedFields: row.changedFields,
    before: row.before,
    after: row.after,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A tenant's changes after a position, oldest first. `nextCursor` continues the feed (the input cursor when nothing is new). */
export async function listTenantChanges(
  db: Executor,
  tenantId: string,
  afterId: number,
  limit: number,
): Promise<{ data: ChangeView[]; nextCursor: string; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(rosterChanges)
    .where(and(eq(rosterChanges.tenantId, tenantId), gt(rosterChanges.id, afterId)))
    .orderBy(asc(rosterChanges.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.length > 0 ? page[page.length - 1].id : afterId;
  return { data: page.map(changeView), nextCursor: encodeChangeCursor(last), hasMore: rows.length > limit };
}

export interface RunChangeFilter {
  kind?: ChangeKind;
  action?: ChangeAction;
  limit: number;
  offset: number;
}

export async function listRunChanges(db: Executor, runId: string, f: RunChangeFilter): Promise<{ data: ChangeView[]; total: number }> {
  const conds: SQL[] = [eq(rosterChanges.runId, runId)];
  if (f.kind) conds.push(eq(rosterChanges.kind, f.kind));
  if (f.action) conds.push(eq(rosterChanges.action, f.action));
  const where = and(...conds);
  const [rows, [{ n }]] = await Promise.all([
    db.select().from(rosterChanges).where(where).orderBy(asc(rosterChanges.id)).limit(f.limit).offset(f.offset),
    db.select({ n: count() }).from(rosterChanges).where(where),
  ]);
  return { data: rows.map(changeView), total: Number(n) };
}

/** The changes of one webhook delivery: ids in (fromId, toId] of the endpoint's kinds. */
export async function changesInRange(db: Executor, tenantId: string, fromId: number, toId: number, kinds: string[]): Promise<ChangeView[]> {
  const rows = await db
    .select()
    .from(rosterChanges)
    .where(and(eq(rosterChanges.tenantId, tenantId), gt(rosterChanges.id, fromId), lte(rosterChanges.id, toId), inArray(rosterChanges.kind, kinds as ChangeKind[])))
    .orderBy(asc(rosterChanges.id));
  return rows.map(changeView);
}
