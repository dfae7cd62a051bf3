import { ENTITY_KINDS, ENTITY_TYPE_BY_KIND, type EntityKind } from "@sis-sync/roster";
import type { PoolClient } from "pg";
import { STAGING_TABLES } from "./staging-writer";

export interface ValidateParams {
  runId: string;
  providerId: string;
  tenantId: string;
  createUsers: boolean;
  /** A delta export: references may point at entities loaded by earlier runs. */
  delta: boolean;
  /** Checked between statements; throwing stops validation. */
  checkpoint(): void;
}

const SOURCE_TABLES: Record<EntityKind, string> = {
  schools: "roster_school_sources",
  classes: "roster_class_sources",
  users: "roster_user_sources",
  enrollments: "roster_enrollment_sources",
};

/**
 * Flags the record errors that need the whole export (duplicates, dangling references) or the
 * roster (user matching), in staging's `error` column, then copies every flagged row to the run's
 * errors. Runs under the tenant's roster lock, so matching sees the same users the load will.
 */
export async function validateStaging(client: PoolClient, p: ValidateParams): Promise<void> {
  for (const kind of ENTITY_KINDS) {
    // The first error-free record with an id wins; later copies are record errors, so the
    // result does not depend on which of two conflicting rows a join happens to pick.
    await client.query(
      `update ${STAGING_TABLES[kind]} r set error = 'Duplicate external id in this export (first seen as record ' || d.first_seq || ')'
         from (select seq, first_value(seq) over w as first_seq, row_number() over w as rn
                 from ${STAGING_TABLES[kind]} where run_id = $1 and error is null and external_id is not null
               window w as (partition by external_id order by seq)) d
        where r.run_id = $1 and r.seq = d.seq and d.rn > 1`,
      [p.runId],
    );
    p.checkpoint();
    if (kind === "classes") await checkReference(client, p, "classes", "school_external_id", "schools", "school");
    if (kind === "users") await matchUsers(client, p);
    if (kind === "enrollments") {
      await checkReference(client, p, "enrollments", "class_external_id", "classes", "class");
      await checkReference(client, p, "enrollments", "user_external_id", "users", "user");
    }
    p.checkpoint();
  }
  const selects = ENTITY_KINDS.map(
    (k) => `select '${ENTITY_TYPE_BY_KIND[k]}' as entity_type, ${ENTITY_KINDS.indexOf(k)} as k, seq, external_id, error from ${STAGING_TABLES[k]} where run_id = $1 and error is not null`,
  ).join(" union all ");
  await client.query(
    `insert into sis_run_errors (run_id, entity_type, external_id, message)
     select $1, entity_type, external_id, error from (${selects}) e order by k, seq`,
    [p.runId],
  );
}

/** A record whose parent is not a loadable record of this export (or, for a delta, an active one already held) is an error. */
async function checkReference(client: PoolClient, p: ValidateParams, kind: EntityKind, column: string, parent: EntityKind, label: string): Promise<void> {
  await client.query(
    `update ${STAGING_TABLES[kind]} r set error = 'Unknown ${label} "' || r.${column} || '" (not in this export, or rejected)'
      where r.run_id = $1 and r.error is null and not r.deleted
        and not exists (select 1 from ${STAGING_TABLES[parent]} x
                         where x.run_id = $1 and x.external_id = r.${column} and x.error is null and not x.deleted)
        and not ($3::boolean and exists (select 1 from ${SOURCE_TABLES[parent]} s
                                          where s.provider_id = $2 and s.external_id = r.${column} and s.status = 'active'))`,
    [p.runId, p.providerId, p.delta],
  );
}

/**
 * Seed "Matching Logic" for records without a source link of this provider: email
 * (case-insensitive, within the tenant) → student number (students without email) → create.
 * Two candidates is a record error, never a guess. A user already held by another record of
 * this same export is not a candidate: a provider's two records are two people.
 */
async function matchUsers(client: PoolClient, p: ValidateParams): Promise<void> {
  await client.query(
    `with unlinked as (
       select r.seq, r.email_key, r.student_number, r.role
         from sis_raw_users r
        where r.run_id = $1 and r.error is null and not r.deleted
          and not exists (select 1 from roster_user_sources s where s.provider_id = $2 and s.external_id = r.external_id)
     ),
     held as (
       select s.entity_id from roster_user_sources s
        where s.provider_id = $2 and s.status = 'active'
          and exists (select 1 from sis_raw_users r where r.run_id = $1 and r.external_id = s.external_id and not r.deleted)
     ),
     by_email as (
       select u.seq, array_agg(x.id order by x.id) as ids
         from unlinked u join roster_users x on x.tenant_id = $3 and x.email_key = u.email_key
        where u.email_key is not null and not exists (select 1 from held h where h.entity_id = x.id)
        group by u.seq
     ),
     by_number as (
       select u.seq, array_agg(x.id order by x.id) as ids
         from unlinked u join roster_users x on x.tenant_id = $3 and x.student_number = u.student_number and x.role = 'student'
        where u.email_key is null and u.role = 'student' and u.student_number is not null and not exists (select 1 from held h where h.entity_id = x.id)
        group by u.seq
     ),
     cand as (
       select seq, ids, 'email' as how from by_email
       union all
       select seq, ids, 'student number' from by_number
     )
     update sis_raw_users r
        set match_user_id = case when cardinality(c.ids) = 1 then c.ids[1] end,
            error = case when cardinality(c.ids) > 1
                         then 'Ambiguous match: ' || cardinality(c.ids) || ' users in this tenant have this ' || c.how || '; not loaded' end
       from cand c
      where r.run_id = $1 and r.seq = c.seq`,
    [p.runId, p.providerId, p.tenantId],
  );
  if (!p.createUsers) {
    await client.query(
      `update sis_raw_users r set error = 'No existing user matches by email or student number, and the provider''s createUsers option is off'
        where r.run_id = $1 and r.error is null and not r.deleted and r.match_user_id is null
          and not exists (select 1 from roster_user_sources s where s.provider_id = $2 and s.external_id = r.external_id)`,
      [p.runId, p.providerId],
    );
  }
}

export { SOURCE_TABLES };
