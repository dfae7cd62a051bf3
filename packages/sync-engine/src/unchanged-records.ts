import { ENTITY_KINDS, fingerprintText, type EntityKind } from "@sis-sync/roster";
import type { Pool, PoolClient } from "pg";
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
 * SQL selecting (entity_id, external_id) of the provider's active links of a kind that this run
 * did not see unchanged: unfingerprinted, or their fingerprint left unclaimed. One scan of the
 * links against the run's few unclaimed fingerprints. Uses $1 = run id, $2 = provider id.
 */
export function unclaimedLinks(kind: EntityKind): string {
  return `select l.entity_id, l.external_id from ${SOURCE_TABLES[kind]} l
            left join sis_raw_unseen u on u.run_id = $1 and u.kind = ${KIND_NUMBER[kind]} and u.record_fp = l.record_fp
           where l.provider_id = $2 and l.status = 'active' and (l.record_fp is null or u.record_fp is not null)`;
}

interface LoadedKind {
  set: FingerprintSet;
  rows: number;
  nulls: number;
}

/**
 * Lets a run skip staging the records its provider sent unchanged last time (issue #4). Before a
 * kind is extracted, the fingerprints of the provider's active links of that kind are loaded
 * (8 bytes a link); each delivered record claims its own. At the end the unclaimed
 * ones go to `sis_raw_unseen`: validation and the soft deletes treat an active link as present in
 * the export when it is staged or when its fingerprint is not listed there.
 *
 * An active link whose entity a cascade deactivated carries no fingerprint (the load clears it),
 * so a skipped record never needs re-activating.
 */
export class UnchangedRecords {
  private readonly sets = new Map<EntityKind, LoadedKind>();
  private readonly loading = new Map<EntityKind, Promise<LoadedKind>>();
  /** Filled by finish(). */
  readonly census = {} as Record<EntityKind, LinkCensus>;

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
    private readonly providerId: string,
  ) {}

  /**
   * Loads every kind's fingerprints on a second connection while the extract runs, so the
   * enrollments' (the most) are ready when their pages arrive. Without it, each kind loads on
   * the run's own connection when its first page arrives. The worker's pool has two connections
   * per concurrent sync for this.
   */
  start(pool: Pool): void {
    const pending = ENTITY_KINDS.map((kind) => {
      let settle!: { resolve(v: LoadedKind): void; reject(e: unknown): void };
      const promise = new Promise<LoadedKind>((resolve, reject) => (settle = { resolve, reject }));
      promise.catch(() => undefined); // surfaced by prepare(), if the run gets that far
      this.loading.set(kind, promise);
      return { kind, settle };
    });
    void (async () => {
      let conn: PoolClient | undefined;
      let failure: Error | undefined;
      try {
        conn = await pool.connect();
        for (const { kind, settle } of pending) settle.resolve(await this.fetch(conn, kind));
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
        for (const { settle } of pending) settle.reject(failure);
      } finally {
        conn?.release(failure);
      }
    })();
  }

  /** Makes a kind's fingerprints ready for claims (once). */
  async prepare(kind: EntityKind): Promise<void> {
    if (this.sets.has(kind)) return;
    this.sets.set(kind, await (this.loading.get(kind) ?? this.fetch(this.client, kind)));
  }

  /**
   * A kind's fingerprints, packed 8 bytes each into a few bytea values (16 groups; pg decodes
   * their hex natively), so 5 M links cost a few buffers, not 5 M rows.
   */
  private async fetch(conn: PoolClient, kind: EntityKind): Promise<LoadedKind> {
    const { rows } = await conn.query<{ fps: Buffer | null; nulls: number; n: number }>(
      `select string_agg(int8send(record_fp), ''::bytea) as fps, (count(*) - count(record_fp))::int4 as nulls, count(*)::int4 as n
         from ${SOURCE_TABLES[kind]} where provider_id = $1 and status = 'active'
        group by hashtext(external_id) & 15`,
      [this.providerId],
    );
    const total = rows.reduce((sum, r) => sum + r.n, 0);
    const set = new FingerprintSet(total);
    let nulls = 0;
    for (const r of rows) {
      nulls += r.nulls;
      const fps = r.fps;
      if (!fps) continue;
      for (let i = 0; i + 8 <= fps.length; i += 8) set.add(fps.readInt32BE(i), fps.readInt32BE(i + 4));
    }
    return { set, rows: total - nulls, nulls };
  }

  /** A prepared kind's fingerprints, to claim records against (undefined before prepare). */
  fingerprintsOf(kind: EntityKind): Pick<FingerprintSet, "claim"> | undefined {
    return this.sets.get(kind)?.set;
  }

  /** Writes what nobody claimed; a kind the export never delivered leaves all its links unseen. */
  async finish(): Promise<void> {
    for (const kind of ENTITY_KINDS) {
      await this.prepare(kind);
      const { set, rows, nulls } = this.sets.get(kind)!;
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
      this.census[kind] = { active: rows + nulls, unfingerprinted: nulls, unseen };
    }
    this.sets.clear();
  }

  discard(): void {
    this.sets.clear();
  }
}
