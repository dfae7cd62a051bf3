import { ENTITY_KINDS, ENTITY_TYPE_BY_KIND, type EntityKind } from "@sis-sync/roster";
import type { Queryable } from "./timed-client";
import { ENTITY_TABLES, SOURCE_TABLES } from "./roster-tables";
import { STAGING_TABLES } from "./staging-writer";
import { collectUnclaimedLinks, everyLinkSeenUnchanged, seenUnchanged, type LinkCensus } from "./unchanged-records";

export interface ValidateParams {
  runId: string;
  providerId: string;
  tenantId: string;
  createUsers: boolean;
  /** A delta export: references may point at entities loaded by earlier runs. */
  delta: boolean;
  /** Records the extract skipped as unchanged, per kind (their links count as present). */
  skipped: Record<EntityKind, number>;
  /** The provider's active links before the run (full runs), to skip checks that cannot find anything. */
  census: Record<EntityKind, LinkCensus> | null;
  /** Checked between statements; throwing stops validation. */
  checkpoint(): void;
}


const zeroCounts = (): Record<EntityKind, number> => ({ schools: 0, classes: 0, users: 0, enrollments: 0 });

/**
 * Flags the record errors that need the whole export (duplicates, dangling references) or the
 * roster (user matching), in staging's `error` column, then copies every flagged row to the run's
 * errors. Runs under the tenant's roster lock, so matching sees the same users the load will.
 *
 * Records skipped as unchanged are not in staging; their links stand in for them. A skipped
 * record whose parent left the export is a record error as a staged one would be: it is written
 * to the run's errors directly and counted in the returned numbers, per kind.
 */
export async function validateStaging(client: Queryable, p: ValidateParams): Promise<Record<EntityKind, number>> {
  const skippedWithErrors = zeroCounts();
  for (const kind of ENTITY_KINDS) {
    // The first error-free record with an id wins; later copies are record errors, so the
    // result does not depend on which of two conflicting rows a join happens to pick. Most exports
    // have no duplicate: one hash aggregate over the run's ids says so (3x cheaper than numbering
    // them in a window over the sorted ids, at 600 k records); only then are they numbered.
    const anyDuplicate = await client.query(
      `select 1 from ${STAGING_TABLES[kind]} where run_id = $1 and error is null and external_id is not null group by external_id having count(*) > 1 limit 1`,
      [p.runId],
    );
    if ((anyDuplicate.rowCount ?? 0) > 0) {
      await client.query(
        `update ${STAGING_TABLES[kind]} r set error = 'Duplicate external id in this export (first seen as record ' || d.first_seq || ')'
           from (select seq, first_value(seq) over w as first_seq, row_number() over w as rn
                   from ${STAGING_TABLES[kind]} where run_id = $1 and error is null and external_id is not null
                 window w as (partition by external_id order by seq)) d
          where r.run_id = $1 and r.seq = d.seq and d.rn > 1`,
        [p.runId],
      );
    }
    if (p.skipped[kind] > 0) {
      // A changed copy of a record whose identical copy was skipped: the skipped one stands.
      await client.query(
        `update ${STAGING_TABLES[kind]} r set error = 'Duplicate external id in this export (an identical copy was seen unchanged)'
          where r.run_id = $1 and r.error is null and r.external_id is not null
            and exists (select 1 from ${SOURCE_TABLES[kind]} s where s.provider_id = $2 and s.external_id = r.external_id and ${seenUnchanged(kind)})`,
        [p.runId, p.providerId],
      );
    }
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
  if (!p.delta) {
    skippedWithErrors.classes += await orphanedUnchanged(client, p, "classes", "school_id", "schools", "school");
    skippedWithErrors.enrollments += await orphanedUnchanged(client, p, "enrollments", "class_id", "classes", "class");
    skippedWithErrors.enrollments += await orphanedUnchanged(client, p, "enrollments", "user_id", "users", "user");
  }
  return skippedWithErrors;
}

/**
 * Skipped (unchanged) records of `kind` whose parent is not a loadable record of this export: the
 * parent's link was active but is neither staged without error nor seen unchanged. Each becomes a
 * record error, worded as checkReference words it; the record stays as the roster holds it.
 */
async function orphanedUnchanged(client: Queryable, p: ValidateParams, kind: EntityKind, parentColumn: string, parent: EntityKind, label: string): Promise<number> {
  if (p.skipped[kind] === 0) return 0;
  // Every active parent link was seen unchanged: none can have left.
  if (p.census && everyLinkSeenUnchanged(p.census, parent)) return 0;
  // The parents that left are few (none in a no-change run): find them first, then their children.
  const unclaimed = await collectUnclaimedLinks(client, parent, [p.runId, p.providerId]);
  const { rowCount } = await client.query(
    `with g as materialized (
       select g.entity_id, g.external_id from ${unclaimed} g
        where not exists (select 1 from ${STAGING_TABLES[parent]} x where x.run_id = $1 and x.external_id = g.external_id and x.error is null and not x.deleted))
     insert into sis_run_errors (run_id, entity_type, external_id, message)
     select $1, '${ENTITY_TYPE_BY_KIND[kind]}', s.external_id, 'Unknown ${label} "' || g.external_id || '" (not in this export, or rejected)'
       from g
       join ${ENTITY_TABLES[kind]} e on e.${parentColumn} = g.entity_id
       join ${SOURCE_TABLES[kind]} s on s.entity_id = e.id and s.provider_id = $2
      where ${seenUnchanged(kind)}
      order by s.external_id`,
    [p.runId, p.providerId],
  );
  return rowCount ?? 0;
}

/** A record whose parent is not a loadable record of this export (or, for a delta, an active one already held) is an error. */
async function checkReference(client: Queryable, p: ValidateParams, kind: EntityKind, column: string, parent: EntityKind, label: string): Promise<void> {
  const message = `'Unknown ${label} "' || r.${column} || '" (not in this export, or rejected)'`;
  if (p.skipped[parent] === 0) {
    await client.query(
      `update ${STAGING_TABLES[kind]} r set error = ${message}
        where r.run_id = $1 and r.error is null and not r.deleted
          and not exists (select 1 from ${STAGING_TABLES[parent]} x
                           where x.run_id = $1 and x.external_id = r.${column} and x.error is null and not x.deleted)
          and not ($3::boolean and exists (select 1 from ${SOURCE_TABLES[parent]} s
                                            where s.provider_id = $2 and s.external_id = r.${column} and s.status = 'active'))`,
      [p.runId, p.providerId, p.delta],
    );
    return;
  }
  // Most parents were skipped as unchanged: check each distinct referenced id once, through the
  // links' primary key, instead of probing links and unseen fingerprints per staged record.
  await client.query(
    `with refs as materialized (
       select distinct r.${column} as id from ${STAGING_TABLES[kind]} r
        where r.run_id = $1 and r.error is null and not r.deleted and r.${column} is not null),
     missing as materialized (
       select f.id from refs f
        where not exists (select 1 from ${STAGING_TABLES[parent]} x
                           where x.run_id = $1 and x.external_id = f.id and x.error is null and not x.deleted)
          and not exists (select 1 from ${SOURCE_TABLES[parent]} s
                           where s.provider_id = $2 and s.external_id = f.id and s.status = 'active'
                             and ($3::boolean or ${seenUnchanged(parent)})))
     update ${STAGING_TABLES[kind]} r set error = ${message}
       from missing m
      where r.run_id = $1 and r.error is null and not r.deleted and r.${column} = m.id`,
    [p.runId, p.providerId, p.delta],
  );
}

/**
 * Seed "Matching Logic" for records without a source link of this provider: email
 * (case-insensitive, within the tenant) → student number (students without email) → create.
 * Two candidates is a record error, never a guess. A user already held by another record of
 * this same export is not a candidate: a provider's two records are two people.
 * Two new records with one email would become two users that no later run could tell apart
 * (or two links to one matched user): the first by position is matched or created, the later
 * ones are record errors.
 */
async function matchUsers(client: Queryable, p: ValidateParams): Promise<void> {
  await client.query(
    `update sis_raw_users r
        set error = 'Email "' || r.email || '" is also on record ' || d.first_seq || ' of this export (external id "' || d.first_id || '"); one email cannot be two people, not loaded'
       from (select u.seq, first_value(u.seq) over w as first_seq, first_value(u.external_id) over w as first_id, row_number() over w as rn
               from sis_raw_users u
              where u.run_id = $1 and u.error is null and not u.deleted and u.email_key is not null
                and not exists (select 1 from roster_user_sources s where s.provider_id = $2 and s.external_id = u.external_id)
             window w as (partition by u.email_key order by u.seq)) d
      where r.run_id = $1 and r.seq = d.seq and d.rn > 1`,
    [p.runId, p.providerId],
  );
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
          and (exists (select 1 from sis_raw_users r where r.run_id = $1 and r.external_id = s.external_id and not r.deleted)
               ${p.skipped.users > 0 ? `or ${seenUnchanged("users")}` : ""})
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

