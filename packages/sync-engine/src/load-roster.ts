import { ENTITY_KINDS, ENTITY_TYPE_BY_KIND, emptyRosterStats, overDeactivationLimit, type DeactivationCheck, type EntityKind, type RosterStats } from "@sis-sync/roster";
import type { Queryable } from "./timed-client";
import { STAGING_TABLES } from "./staging-writer";
import { ENTITY_TABLES, SOURCE_TABLES } from "./roster-tables";
import { collectUnclaimedLinks, everyLinkSeenUnchanged, type LinkCensus } from "./unchanged-records";

interface KindLoad {
  /** [entity column, expression over staging `r` and the joins] */
  fields: [string, string][];
  joins: string;
  /** Existing user picked by matching (users only). */
  match: string;
}

const LOADS: Record<EntityKind, KindLoad> = {
  schools: {
    fields: [
      ["name", "r.name"],
      ["school_number", "r.school_number"],
      ["nces_id", "r.nces_id"],
    ],
    joins: "",
    match: "null::uuid",
  },
  classes: {
    fields: [
      ["school_id", "ps.entity_id"],
      ["title", "r.title"],
      ["class_code", "r.class_code"],
      ["subject", "r.subject"],
      ["period", "r.period"],
      ["term_external_id", "r.term_external_id"],
      ["term_name", "r.term_name"],
      ["term_start_date", "r.term_start_date"],
      ["term_end_date", "r.term_end_date"],
      ["course_external_id", "r.course_external_id"],
      ["course_title", "r.course_title"],
    ],
    joins: "join roster_school_sources ps on ps.provider_id = $2 and ps.external_id = r.school_external_id",
    match: "null::uuid",
  },
  users: {
    fields: [
      ["role", "r.role"],
      ["given_name", "r.given_name"],
      ["family_name", "r.family_name"],
      ["email", "r.email"],
      ["email_key", "r.email_key"],
      ["username", "r.username"],
      ["student_number", "r.student_number"],
      ["grades", "coalesce(r.grades, '{}')"],
    ],
    joins: "",
    match: "r.match_user_id",
  },
  enrollments: {
    fields: [
      ["class_id", "pc.entity_id"],
      ["user_id", "pu.entity_id"],
      ["role", "r.role"],
      ["primary", "coalesce(r.primary, false)"],
      ["begin_date", "r.begin_date"],
      ["end_date", "r.end_date"],
    ],
    joins:
      "join roster_class_sources pc on pc.provider_id = $2 and pc.external_id = r.class_external_id " +
      "join roster_user_sources pu on pu.provider_id = $2 and pu.external_id = r.user_external_id",
    match: "null::uuid",
  },
};

/** The kind each of a kind's reference columns points at, checked by the load (there are no foreign keys, migration 0006). */
const REFERENCES: Record<EntityKind, [column: string, target: EntityKind][]> = {
  schools: [],
  classes: [["school_id", "schools"]],
  users: [],
  enrollments: [
    ["class_id", "classes"],
    ["user_id", "users"],
  ],
};

/**
 * Fails the load (the caller rolls everything back) if a row this kind just wrote references a
 * row that does not exist: the set-based stand-in for foreign keys, a join or two per kind instead
 * of a lookup and a row lock per inserted row. A link's entity is either created by this load
 * from the same work-table row or an existing one (the link's own, a matched user): only the
 * latter are probed. Every reference the load writes is copied from a link's entity id.
 */
async function verifyReferences(client: Queryable, kind: EntityKind, w: string): Promise<void> {
  // Left joins, not "not exists (…) or not exists (…)": an OR of subqueries runs as hashed
  // subplans over the whole referenced tables, where the join picks index probes for a delta's
  // few rows and hash joins for a first sync's millions. Existing entities are probed apart:
  // on a first sync there are none, and a join would hash every row of the kind for nothing.
  const checks = [
    {
      joins: REFERENCES[kind].map(([column, target], i) => `left join ${ENTITY_TABLES[target]} x${i} on x${i}.id = w.${q(column)}`),
      missing: REFERENCES[kind].map(([, target], i) => [`x${i}.id is null`, ENTITY_TYPE_BY_KIND[target]]),
      where: "true",
    },
    { joins: [`left join ${ENTITY_TABLES[kind]} x on x.id = w.entity_id`], missing: [["x.id is null", ENTITY_TYPE_BY_KIND[kind]]], where: "not w.new_entity" },
  ];
  for (const c of checks) {
    if (c.missing.length === 0) continue;
    const { rows } = await client.query<{ external_id: string; what: string }>(
      `select w.external_id, case ${c.missing.map(([cond, what]) => `when ${cond} then '${what}'`).join(" ")} end as what
         from ${w} w ${c.joins.join(" ")}
        where ${c.where} and (${c.missing.map(([cond]) => cond).join(" or ")}) limit 1`,
    );
    if (rows.length > 0) {
      throw new Error(`Roster integrity check failed: ${kind} record "${rows[0].external_id}" would reference a ${rows[0].what} that does not exist; nothing was written`);
    }
  }
}

export interface LoadParams {
  runId: string;
  providerId: string;
  tenantId: string;
  /** Deactivate by absence (a complete full export) or only records marked deleted (a delta). */
  deactivateAbsent: boolean;
  /** Records the extract skipped as unchanged (not staged), per kind. */
  skipped: Record<EntityKind, number>;
  /** Of those, the ones validation made record errors (their parent left the export). */
  skippedWithErrors: Record<EntityKind, number>;
  /** The provider's active links before the run, counted by the fingerprint pass (full runs). */
  census: Record<EntityKind, LinkCensus> | null;
  maxDeactivationRatio: number;
  force: boolean;
  checkpoint(): void;
}

export interface LoadResult {
  stats: RosterStats;
  /** Kinds over the mass-removal guard; when non-empty the caller must roll back. */
  overLimit: DeactivationCheck[];
}

/** The end of a soft-delete statement whose CTE `g` returned the links it deactivated: their entities into `gone`, and both counts. */
const countedInto = (gone: string) =>
  `, ins as (insert into ${gone} select distinct on (entity_id) entity_id, external_id from g returning id)
   select (select count(*) from g)::int as links, (select count(*) from ins)::int as entities`;

const q = (c: string) => `"${c}"`;
const camel = (c: string) => c.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase());

/** A record's fields as JSON with the API's names (the change feed's before/after), with its status. */
function jsonOf(spec: KindLoad, alias: string, status = `${alias}.status`): string {
  const pairs = spec.fields.map(([c]) => `'${camel(c)}', ${alias}.${q(c)}`);
  return `jsonb_build_object(${[`'status', ${status}`, ...pairs].join(", ")})`;
}
/**
 * A new entity's id: a UUIDv7 (RFC 9562) of the statement's millisecond clock, then the staged
 * record's sequence number in the next 42 bits, then 32 random bits. The ids one load creates are
 * neighbours in every b-tree that holds them (the entity's primary key, the links' entity_id), and
 * in the reference check's lookups, so millions of inserts append at the right edge of those indexes
 * instead of dirtying a random page each; and gen_random_uuid() costs ~2.5 µs a row here (≈1 µs this).
 */
const NEW_ENTITY_ID =
  "encode(int8send(((extract(epoch from statement_timestamp()) * 1000)::bigint << 16) | 28672 | ((r.seq::bigint >> 30) & 4095))" +
  " || int8send(-9223372036854775808 | ((r.seq::bigint & 1073741823) << 32) | (random() * 4294967295)::bigint), 'hex')::uuid";
const ANALYZE_AFTER_ROWS = 1000;
/** Staged records fewer than 1/FEW_STAGED_FACTOR of a kind's links are looked up one by one. */
const FEW_STAGED_FACTOR = 20;

/** The planner's row estimate for a table: free, unlike a count. */
async function estimatedRows(client: Queryable, table: string): Promise<number> {
  const { rows } = await client.query<{ tuples: number }>(`select greatest(reltuples, 0)::float8 as tuples from pg_class where oid = $1::regclass`, [table]);
  return Number(rows[0]?.tuples ?? 0);
}
/** Re-analyze a roster table inside the load when a run wrote more than this share of its estimated rows. */
const ANALYZE_GROWTH = 0.2;

/**
 * The set-based load of one run, inside the caller's transaction: per kind, a temp table of the
 * staged records that differ from what the provider last sent (new, changed, re-appearing), then
 * one INSERT for new entities, one UPDATE … FROM for changed ones and one upsert of source links.
 * A no-change re-sync therefore writes nothing. Deactivation runs last, after every kind is in.
 */
export async function loadRoster(client: Queryable, p: LoadParams): Promise<LoadResult> {
  const stats = emptyRosterStats();

  const counts = await client.query<{ kind: EntityKind; valid: string; errors: string }>(
    ENTITY_KINDS.map(
      (k) =>
        `select '${k}' as kind,
                (select count(*) from ${STAGING_TABLES[k]} where run_id = $1 and error is null and not deleted) as valid,
                (select count(*) from ${STAGING_TABLES[k]} where run_id = $1 and error is not null) as errors`,
    ).join(" union all "),
    [p.runId],
  );
  const valid = {} as Record<EntityKind, number>;
  const stagedValid = {} as Record<EntityKind, number>;
  for (const row of counts.rows) {
    stagedValid[row.kind] = Number(row.valid);
    valid[row.kind] = Number(row.valid) + p.skipped[row.kind] - p.skippedWithErrors[row.kind];
    stats[row.kind].errors = Number(row.errors) + p.skippedWithErrors[row.kind];
  }

  for (const kind of ENTITY_KINDS) {
    p.checkpoint();
    if (stagedValid[kind] === 0) {
      // Nothing staged to load (a no-change run skipped every record): all of it is unchanged.
      stats[kind].unchanged = valid[kind];
      continue;
    }
    const spec = LOADS[kind];
    const entity = ENTITY_TABLES[kind];
    const sources = SOURCE_TABLES[kind];
    const w = `w_${kind}`;
    const cols = spec.fields.map(([c]) => q(c));
    // A delta or a day's changes stage a few records against millions of links: one index lookup
    // each beats hashing every link of the provider, which is what the planner picks from a
    // staging estimate it cannot trust (at 5 M links that hash alone takes seconds).
    const fewStaged = stagedValid[kind] * FEW_STAGED_FACTOR < (await estimatedRows(client, sources));
    if (fewStaged) await client.query("set local enable_hashjoin = off; set local enable_mergejoin = off");
    await client.query(
      `create temp table ${w} on commit drop as
       select r.external_id, r.content_hash, r.record_fp, (s.status is distinct from 'active') as link_activated,
              coalesce(s.entity_id, ${spec.match}, ${NEW_ENTITY_ID}) as entity_id,
              (s.entity_id is null and ${spec.match} is null) as new_entity,
              ${spec.fields.map(([c, expr]) => `${expr} as ${q(c)}`).join(", ")}
         from ${STAGING_TABLES[kind]} r
         ${spec.joins}
         left join ${sources} s on s.provider_id = $2 and s.external_id = r.external_id
         left join ${entity} e on e.id = s.entity_id
        where r.run_id = $1 and r.error is null and not r.deleted
          and (s.entity_id is null or s.status <> 'active' or s.content_hash <> r.content_hash or e.status <> 'active'
               -- same content, new fingerprint (the SIS re-spelled a field, or FINGERPRINT_VERSION
               -- changed): only the link's fingerprint is refreshed, so the next run can skip it
               or s.record_fp is distinct from r.record_fp)`,
      [p.runId, p.providerId],
    );
    if (fewStaged) await client.query("set local enable_hashjoin = on; set local enable_mergejoin = on");
    await client.query(`analyze ${w}`);
    // The change feed (the outbox, issue #9) is written in this transaction from the same work
    // table as the roster, so it holds exactly what the transaction wrote. New entities are
    // inserted exactly as the work table holds them, so their feed rows are built from it too:
    // joining the inserted rows back to it cost more than the insert (a million-row hash join
    // spilling to disk on a first sync). An UPDATE … FROM that joins the table again (`o`) sees
    // the rows as they were before the statement, which gives the "before" side of an update.
    const created = await client.query(
      `insert into ${entity} (id, tenant_id, status, ${cols.join(", ")}, content_hash)
       select entity_id, $1, 'active', ${cols.join(", ")}, content_hash from ${w} where new_entity`,
      [p.tenantId],
    );
    if ((created.rowCount ?? 0) > 0) {
      await client.query(
        `insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, external_id, after)
         select $1, $2, $3, '${kind}', 'created', w.entity_id, w.external_id, ${jsonOf(spec, "w", "'active'")}
           from ${w} w where w.new_entity`,
        [p.tenantId, p.runId, p.providerId],
      );
    }
    const updated = await client.query(
      `with upd as (
         update ${entity} e set ${cols.map((c) => `${c} = w.${c}`).join(", ")}, content_hash = w.content_hash, status = 'active', updated_at = now()
           from ${w} w, ${entity} o
          where not w.new_entity and e.id = w.entity_id and o.id = e.id and (e.content_hash <> w.content_hash or e.status <> 'active')
          returning e.id, w.external_id, ${jsonOf(spec, "o")} as old_json, ${jsonOf(spec, "e")} as new_json)
       insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, external_id, changed_fields, before, after)
       select $1, $2, $3, '${kind}', case when upd.old_json->>'status' = 'active' then 'updated' else 'reactivated' end,
              upd.id, upd.external_id, coalesce(d.fields, '{}'), coalesce(d.before, '{}'), coalesce(d.after, '{}')
         from upd, lateral (
           select array_agg(b.key order by b.key) as fields, jsonb_object_agg(b.key, b.value) as before,
                  jsonb_object_agg(b.key, upd.new_json -> b.key) as after
             from jsonb_each(upd.old_json) b where b.value is distinct from upd.new_json -> b.key) d`,
      [p.tenantId, p.runId, p.providerId],
    );
    await client.query(
      `insert into ${sources} (provider_id, external_id, tenant_id, entity_id, status, content_hash, record_fp)
       select $1, external_id, $2, entity_id, 'active', content_hash, record_fp from ${w}
       on conflict (provider_id, external_id)
       do update set status = 'active', content_hash = excluded.content_hash, record_fp = excluded.record_fp, updated_at = now()`,
      [p.providerId, p.tenantId],
    );
    await verifyReferences(client, kind, w);
    // The planner must see the rows this transaction just wrote, or it plans the next joins
    // (and the anti-joins of the soft deletes) as if the tables were still empty: nested loops, O(n²).
    // Only when the table grew a lot against what the planner believes: ANALYZE takes a lock that
    // other tenants' loads also need, so on a big shared roster it would serialise their runs.
    const written = (created.rowCount ?? 0) + (updated.rowCount ?? 0);
    if (written > ANALYZE_AFTER_ROWS) {
      if (written > ANALYZE_GROWTH * (await estimatedRows(client, entity))) await client.query(`analyze ${entity}, ${sources}`);
    }
    stats[kind].created = created.rowCount ?? 0;
    stats[kind].updated = updated.rowCount ?? 0;
    stats[kind].unchanged = Math.max(0, valid[kind] - stats[kind].created - stats[kind].updated);
  }

  // Soft deletes (seed "Soft Deletes"): this provider's links that the export no longer holds go
  // inactive; an entity goes inactive only when no active link of any provider remains.
  // A full export: links the export no longer holds. A delta: the links its deletions name (below).
  const absent = `not exists (select 1 from %STAGING% r where r.run_id = $1 and r.external_id = s.external_id and not r.deleted)`;
  // Without fingerprints (an incremental run whose source sent a full export instead), a full export's
  // anti-join compares all of the provider's links with all of the run's staged ids: as a nested
  // loop (what a stale row estimate can pick) that is quadratic, so only hash/merge joins there.
  // Every other statement here reaches few rows through indexes, where a nested loop is right.
  const compareAllLinks = p.deactivateAbsent && !p.census;
  const entitiesDeactivated: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  const linksDeactivated: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  for (const kind of ENTITY_KINDS) {
    p.checkpoint();
    const gone = `gone_${kind}`;
    // With this provider's external id of each, for the change feed (no second lookup per row).
    await client.query(`create temp table ${gone} (id uuid primary key, external_id text) on commit drop`);
    await client.query(`create temp table deact_${kind} (id uuid primary key, external_id text) on commit drop`);
    const absentFromStaging = absent.replaceAll("%STAGING%", STAGING_TABLES[kind]);
    // Every active link was seen unchanged: nothing of this kind is absent.
    if (p.deactivateAbsent && p.census && everyLinkSeenUnchanged(p.census, kind)) continue;
    if (compareAllLinks) await client.query("set local enable_nestloop = off");
    // Links seen unchanged are present; the rest are the unfingerprinted ones and those whose
    // fingerprint went unclaimed (few), so start from them rather than from every link.
    const unclaimed = p.deactivateAbsent && p.census ? await collectUnclaimedLinks(client, kind, [p.runId, p.providerId]) : null;
    const goneCounts = await client.query<{ links: number; entities: number }>(
      unclaimed
        ? `with g as (
             update ${SOURCE_TABLES[kind]} s set status = 'inactive', updated_at = now()
               from ${unclaimed} c
              where s.provider_id = $2 and s.external_id = c.external_id and s.status = 'active' and ${absentFromStaging}
              returning s.entity_id, s.external_id)
           ${countedInto(gone)}`
        : p.deactivateAbsent
        ? `with g as (
             update ${SOURCE_TABLES[kind]} s set status = 'inactive', updated_at = now()
              where s.provider_id = $2 and s.status = 'active' and ${absentFromStaging}
              returning s.entity_id, s.external_id)
           ${countedInto(gone)}`
        : `with d as (
             select external_id from ${STAGING_TABLES[kind]} where run_id = $1 and deleted and external_id is not null
             except
             select external_id from ${STAGING_TABLES[kind]} where run_id = $1 and not deleted and external_id is not null),
           g as (
             update ${SOURCE_TABLES[kind]} s set status = 'inactive', updated_at = now()
               from d
              where s.provider_id = $2 and s.external_id = d.external_id and s.status = 'active'
              returning s.entity_id, s.external_id)
           ${countedInto(gone)}`,
      [p.runId, p.providerId],
    );
    if (compareAllLinks) await client.query("set local enable_nestloop = on");
    // A temp table has no statistics until analyzed: thousands of gone links planned as a handful
    // (or the reverse) cost a full scan of the entities.
    linksDeactivated[kind] = goneCounts.rows[0]?.links ?? 0;
    const goneEntities = goneCounts.rows[0]?.entities ?? 0;
    if (goneEntities === 0) continue;
    if (goneEntities > ANALYZE_AFTER_ROWS) await client.query(`analyze ${gone}`);
    // Only users are matched to existing entities, so only a user can have links from other
    // providers (or several): any other entity's one link is the one just deactivated, and the
    // check (an index probe per row, ~1/3 of this statement at 100 k rows) is skipped.
    const otherLinks = LOADS[kind].match === "null::uuid" ? "" : `and not exists (select 1 from ${SOURCE_TABLES[kind]} s where s.entity_id = e.id and s.status = 'active')`;
    const d = await client.query(
      `with d as (
         update ${ENTITY_TABLES[kind]} e set status = 'inactive', updated_at = now()
           from ${gone} g
          where e.id = g.id and e.status = 'active' ${otherLinks}
          returning e.id, g.external_id)
       insert into deact_${kind} select id, external_id from d`,
    );
    entitiesDeactivated[kind] = d.rowCount ?? 0;
  }
  // Enrollments of deactivated users and classes go inactive too.
  p.checkpoint();
  // Their links may still be active (the enrollment itself is still exported): without a
  // fingerprint the record is staged next time, which is what re-activates it. (An enrollment
  // deactivated by absence has no active link left, so its fingerprint is never loaded.)
  if (entitiesDeactivated.users + entitiesDeactivated.classes > 0) {
    // Their row counts, or the planner takes them for a default 1,850 rows each and joins every enrollment.
    await client.query("analyze deact_users, deact_classes");
    await client.query(
      `with d as (
         update roster_enrollments e set status = 'inactive', updated_at = now()
          where e.status = 'active'
            -- Two index lookups, not "user_id in (…) or class_id in (…)", which reads every enrollment.
            and e.id in (select x.id from roster_enrollments x join deact_users d on x.user_id = d.id
                         union
                         select x.id from roster_enrollments x join deact_classes d on x.class_id = d.id)
          returning e.id),
       cascaded as (insert into deact_enrollments (id) select id from d on conflict do nothing returning id)
       update roster_enrollment_sources s set record_fp = null
         from cascaded c where s.entity_id = c.id and s.record_fp is not null`,
    );
  }
  // Deactivations into the change feed, with this provider's external id where it has one.
  for (const kind of ENTITY_KINDS) {
    await client.query(
      `insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, external_id, changed_fields, before, after)
       select $1, $2, $3, '${kind}', 'deactivated', d.id,
              coalesce(d.external_id, (select s.external_id from ${SOURCE_TABLES[kind]} s where s.entity_id = d.id and s.provider_id = $3 limit 1)),
              '{status}', '{"status":"active"}', '{"status":"inactive"}'
         from deact_${kind} d order by d.id`,
      [p.tenantId, p.runId, p.providerId],
    );
  }
  const deact = await client.query<{ kind: EntityKind; n: string }>(ENTITY_KINDS.map((k) => `select '${k}' as kind, count(*) as n from deact_${k}`).join(" union all "));
  for (const row of deact.rows) stats[row.kind].deactivated = Number(row.n);

  if (p.force) return { stats, overLimit: [] };
  const checks: DeactivationCheck[] = [];
  for (const kind of ENTITY_KINDS) {
    const deactivating = stats[kind].deactivated;
    if (deactivating === 0) continue;
    if (p.census) {
      checks.push({ kind, activeBefore: p.census[kind].active, deactivating });
      continue;
    }
    // The provider's active links before the run, counted now (after this run's link writes) and
    // only as far as the guard needs: past deactivating / ratio links the answer cannot change, so
    // a delta that removes 100 enrollments reads 500 links, not the provider's millions.
    // Links this run turned active (new or back) are in the count but were not active before; the
    // kind's work table (this transaction's) says how many, and exists only if the kind staged records.
    const linksActivated =
      stagedValid[kind] === 0 ? 0 : (await client.query<{ n: number }>(`select count(*)::int as n from w_${kind} where link_activated`)).rows[0]?.n ?? 0;
    const enough = p.maxDeactivationRatio > 0 ? Math.ceil(deactivating / p.maxDeactivationRatio) + linksActivated : null;
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from (select 1 from ${SOURCE_TABLES[kind]} where provider_id = $1 and status = 'active' limit $2) x`,
      [p.providerId, enough],
    );
    checks.push({ kind, activeBefore: (rows[0]?.n ?? 0) + linksDeactivated[kind] - linksActivated, deactivating });
  }
  return { stats, overLimit: overDeactivationLimit(checks, p.maxDeactivationRatio) };
}
