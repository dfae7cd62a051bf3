import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@sis-sync/db";
import type { EntityKind } from "@sis-sync/roster";

export interface RosterListFilter {
  tenantId: string;
  status?: "active" | "inactive";
  providerId?: string;
  externalId?: string;
  /** Users only: case-insensitive exact match. */
  email?: string;
  /** Users only. */
  role?: string;
  limit: number;
  offset: number;
}

export interface RosterSource {
  providerId: string;
  externalId: string;
}

interface RosterEntityBase {
  id: string;
  tenantId: string;
  status: "active" | "inactive";
  sources: RosterSource[];
  updatedAt: string;
}
export interface RosterSchool extends RosterEntityBase {
  name: string;
  schoolNumber: string | null;
  ncesId: string | null;
}
export interface RosterClass extends RosterEntityBase {
  schoolId: string;
  title: string;
  classCode: string | null;
  subject: string | null;
  period: string | null;
  termName: string | null;
}
export interface RosterUser extends RosterEntityBase {
  role: string;
  givenName: string;
  familyName: string;
  email: string | null;
  username: string | null;
  studentNumber: string | null;
  grades: string[];
}
export interface RosterEnrollment extends RosterEntityBase {
  classId: string;
  userId: string;
  role: string;
  primary: boolean;
  beginDate: string | null;
  endDate: string | null;
}
export interface RosterEntityByKind {
  schools: RosterSchool;
  classes: RosterClass;
  users: RosterUser;
  enrollments: RosterEnrollment;
}

const TABLES: Record<EntityKind, { entity: string; sources: string; fields: string }> = {
  schools: { entity: "roster_schools", sources: "roster_school_sources", fields: `e.name, e.school_number as "schoolNumber", e.nces_id as "ncesId"` },
  classes: {
    entity: "roster_classes",
    sources: "roster_class_sources",
    fields: `e.school_id as "schoolId", e.title, e.class_code as "classCode", e.subject, e.period, e.term_name as "termName"`,
  },
  users: {
    entity: "roster_users",
    sources: "roster_user_sources",
    fields: `e.role, e.given_name as "givenName", e.family_name as "familyName", e.email, e.username, e.student_number as "studentNumber", e.grades`,
  },
  enrollments: {
    entity: "roster_enrollments",
    sources: "roster_enrollment_sources",
    fields: `e.class_id as "classId", e.user_id as "userId", e.role, e."primary", e.begin_date::text as "beginDate", e.end_date::text as "endDate"`,
  },
};

/**
 * The roster read routes (api.md "Roster"): one page of a kind's entities in the API's JSON
 * shape, oldest first, with the total for the same filters. `sources` lists every
 * (provider, external id) that has held the entity.
 */
export async function listRosterEntities<K extends EntityKind>(
  db: Executor,
  kind: K,
  filter: RosterListFilter,
): Promise<{ data: RosterEntityByKind[K][]; total: number }> {
  const t = TABLES[kind];
  const where: SQL[] = [sql`e.tenant_id = ${filter.tenantId}`];
  if (filter.status) where.push(sql`e.status = ${filter.status}`);
  if (filter.providerId || filter.externalId) {
    const conds: SQL[] = [sql`s.entity_id = e.id`];
    if (filter.providerId) conds.push(sql`s.provider_id = ${filter.providerId}::uuid`);
    if (filter.externalId) conds.push(sql`s.external_id = ${filter.externalId}`);
    where.push(sql`exists (select 1 from ${sql.raw(t.sources)} s where ${sql.join(conds, sql` and `)})`);
  }
  if (kind === "users" && filter.email) where.push(sql`e.email_key = ${filter.email.trim().toLowerCase()}`);
  if (kind === "users" && filter.role) where.push(sql`e.role = ${filter.role}`);
  const whereSql = sql.join(where, sql` and `);

  const rows = await db.execute(sql`
    select e.id, e.tenant_id as "tenantId", e.status::text as status,
           coalesce((select json_agg(json_build_object('providerId', s.provider_id, 'externalId', s.external_id) order by s.created_at, s.provider_id, s.external_id)
                       from ${sql.raw(t.sources)} s where s.entity_id = e.id), '[]'::json) as sources,
           e.updated_at as "updatedAt", ${sql.raw(t.fields)}
      from ${sql.raw(t.entity)} e
     where ${whereSql}
     order by e.created_at, e.id
     limit ${filter.limit} offset ${filter.offset}`);
  const total = await db.execute(sql`select count(*)::int as n from ${sql.raw(t.entity)} e where ${whereSql}`);
  const data = rows.rows.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt as string | Date).toISOString() })) as unknown as RosterEntityByKind[K][];
  return { data, total: Number((total.rows[0] as { n: number }).n) };
}
