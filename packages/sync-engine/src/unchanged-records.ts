import { ENTITY_KINDS, fingerprintText, type EntityKind } from "@sis-sync/roster";
import type { Pool, PoolClient } from "pg";
import type { Queryable } from "./timed-client";
import { openCopy } from "./copy-stream";
import { FingerprintSet } from "./fingerprint-set";
import { SOURCE_TABLES } from "./roster-tables";

/** `sis_raw_unseen.kind`: the kind's position in ENTITY_KINDS. */
export const KIND_NUMBER: Record<EntityKind, number> = Object.fromEntries(ENTITY_KINDS.map((k, i) => [k, i])) as Record<EntityKind, number>;

/** Per kind, what the fingerprint pass learnt about the provider's active links. */
export interface LinkCensus {
  /** Active links before the run. */
  active: number;
  /** Active links without a fingerprint (always checked for absence). */
  unfingerprinted: number;
  /** Fingerprints left unclaimed: links changed or gone. */
  unseen: number;
}

/** Every active link of the kind was claimed: none changed or went missing. */
export function everyLinkSeenUnchanged(census: Record<EntityKind, LinkCensus>, kind: EntityKind): boolean {
  return census[kind].unseen + census[kind].unfingerprinted === 0;
}

/**
 * SQL true when the source link `s` is present in this export because the extract skipped its
 * record as unchanged: active, fingerprinted, and its fingerprint not left unclaimed.
 * Meaningful only for kinds with skipped records (else nothing was claimed). Uses $1 = run id.
 */
export function seenUnchanged(kind: EntityKind, s = "s"): string {
  return `(${s}.status = 'active' and ${s}.record_fp is not null and not exists (select 1 from sis_raw_unseen u where u.run_id = $1 and u.kind = ${KIND_NUMBER[kind]} and u.record_fp = ${s}.record_fp))`;
}

/**
 * Collects into temp table `unclaimed_<kind>` (entity_id, external_id) the provider's active links
 * of a kind that this run did not see unchanged: unfingerprinted, or their fingerprint left
 * unclaimed. One scan of the links against the run's few unclaimed fingerprints; once per
 * transaction. A table with statistics, not a CTE: the planner cannot estimate that filter and took
 * the few links that left for a million, then joined them with every enrollment (10-70 s at the
 * large size, bench, issue #9). Uses $1 = run id, $2 = provider id; returns the table's name.
 */
export async function collectUnclaimedLinks(client: Queryable, kind: EntityKind, params: [runId: string, providerId: string]): Promise<string> {
  const table = `unclaimed_${kind}`;
  const created = await client.query(
    `create temp table if not exists ${table} on commit drop as
     select l.entity_id, l.external_id from ${SOURCE_TABLES[kind]} l
       left join sis_raw_unseen u on u.run_id = $1 and u.kind = ${KIND_NUMBER[kind]} and u.record_fp = l.record_fp
      where l.provider_id = $2 and l.status = 'active' and (l.record_fp is null or u.record_fp is not null)`,
    params,
  );
  if (created.rowCount !== null) await client.query(`analyze ${table}`);
  return table;
}

/** Links per fingerprint page: at most 2 MB of bytea. */
const FETCH_PAGE = 262_144;
const FIRST_PAGE = 4_096;

/**
 * One kind's link fingerprints as they load: pages are appended to the set while the extract
 * claims from its front, so a run never waits for millions of links to load before it starts.
 */
class LoadingKind {
  readonly set = new FingerprintSet(FETCH_PAGE);
  /** Active links without a fingerprint (not in the set). */
  nulls = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  /** Wakes whoever waits for more links (after each page, at the end, on failure). */
  progressed(failure?: Error): void {
    if (failure) this.failure ??= failure;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `links` links are loaded, or all of them; rejects if loading failed. */
  async until(links: number): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.set.sealed || this.set.size >= links) return;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }
}

/**
 * Lets a run skip staging the records its provider sent unchanged last time (issue #4). While a
 * kind is extracted, the fingerprints of the provider's active links of that kind are loaded
 * (8 bytes a link); each delivered record claims its own. At the end the unclaimed
 * ones go to `sis_raw_unseen`: validation and the soft deletes treat an active link as present in
 * the export when it is staged or when its fingerprint is not listed there.
 *
 * An active link whose entity a cascade deactivated carries no fingerprint (the load clears it),
 * so a skipped record never needs re-activating.
 */
export class UnchangedRecords {
  private readonly kinds = new Map<EntityKind, LoadingKind>();
  /** Set by discard(): the background load stops after its current page and frees its connection. */
  private stopped = false;
  /** Filled by finish(). */
  readonly census = {} as Record<EntityKind, LinkCensus>;

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
    private readonly providerId: string,
  ) {}

  /**
   * Loads every kind's fingerprints, in the extract's kind order, on a second connection while
   * the extract runs. Without it, each kind loads on the run's own connection when its first
   * page arrives. The worker's pool has two connections per concurrent sync for this.
   */
  start(pool: Pool): void {
    for (const kind of ENTITY_KINDS) this.kinds.set(kind, new LoadingKind());
    void (async () => {
      let conn: PoolClient | undefined;
      let failure: Error | undefined;
      try {
        conn = await pool.connect();
        for (const kind of ENTITY_KINDS) {
          if (this.stopped) break;
          await this.fetch(conn, kind, this.kinds.get(kind)!);
        }
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
        for (const loading of this.kinds.values()) loading.progressed(failure);
      } finally {
        conn?.release(failure);
      }
    })();
  }

  /** Makes a kind's fingerprints ready for claims (once): loads them all here, unless start() is loading them. */
  async prepare(kind: EntityKind): Promise<void> {
    if (this.kinds.has(kind)) return;
    const loading = new LoadingKind();
    this.kinds.set(kind, loading);
    await this.fetch(this.client, kind, loading);
  }

  /**
   * Waits until the next `records` records of a prepared kind can be claimed: the links around
   * where they should be are loaded, or all links once claims want the whole list (see FingerprintSet).
   */
  async ready(kind: EntityKind, records: number): Promise<void> {
    const loading = this.kinds.get(kind)!;
    await loading.until(loading.set.wantsEverything ? Number.MAX_SAFE_INTEGER : loading.set.reach(records));
  }

  /**
   * A kind's fingerprints in external-id order (the order claims are fastest in, see
   * FingerprintSet), in pages along the links' primary key, each page packed 8 bytes a link into
   * one bytea (pg decodes its hex natively): 5 M links arrive a few MB at a time, not as 5 M rows.
   * The order only makes claims cheaper; nothing depends on it for correctness.
   */
  private async fetch(conn: PoolClient, kind: EntityKind, into: LoadingKind): Promise<void> {
    let after: string | null = null;
    // Small first pages, so the first claims wait for milliseconds, then bigger ones.
    for (let limit = FIRST_PAGE; ; limit = Math.min(FETCH_PAGE, limit * 4)) {
      const page: { rows: { fps: Buffer | null; n: number; nulls: number; last: string | null }[] } = await conn.query(
        `select string_agg(int8send(record_fp), ''::bytea) as fps, count(*)::int4 as n, (count(*) - count(record_fp))::int4 as nulls, max(external_id) as last
           from (select record_fp, external_id from ${SOURCE_TABLES[kind]}
                  where provider_id = $1 and status = 'active' ${after === null ? "" : "and external_id > $3"}
                  order by external_id limit $2) t`,
        after === null ? [this.providerId, limit] : [this.providerId, limit, after],
      );
      const { fps, n, nulls, last } = page.rows[0];
      into.nulls += nulls;
      if (fps) for (let i = 0; i + 8 <= fps.length; i += 8) into.set.add(fps.readInt32BE(i), fps.readInt32BE(i + 4));
      if (n < limit || last === null || this.stopped) break;
      into.progressed();
      after = last;
    }
    into.set.seal();
    into.progressed();
  }

  /** A prepared kind's fingerprints, to claim records against (undefined before prepare). */
  fingerprintsOf(kind: EntityKind): Pick<FingerprintSet, "claim"> | undefined {
    return this.kinds.get(kind)?.set;
  }

  /** Writes what nobody claimed; a kind the export never delivered leaves all its links unseen. */
  async finish(): Promise<void> {
    for (const kind of ENTITY_KINDS) {
      await this.prepare(kind);
      const loading = this.kinds.get(kind)!;
      await loading.until(Number.MAX_SAFE_INTEGER);
      const { set, nulls } = loading;
      let unseen = 0;
      if (set.size > 0) {
        const copy = openCopy(this.client, "COPY sis_raw_unseen (run_id, kind, record_fp) FROM STDIN");
        const prefix = `${this.runId}\t${KIND_NUMBER[kind]}\t`;
        let text = "";
        for (const [hi, lo] of set.unclaimed()) {
          unseen++;
          text += `${prefix}${fingerprintText(hi, lo)}\n`;
          if (text.length > 65536) {
            await copy.write(text);
            text = "";
          }
        }
        await copy.write(text);
        await copy.end();
      }
      this.census[kind] = { active: set.size + nulls, unfingerprinted: nulls, unseen };
    }
    this.kinds.clear();
  }

  /** A cancelled or failed extract: nothing more is claimed, so nothing more is loaded. */
  discard(): void {
    this.stopped = true;
    this.kinds.clear();
  }
}
