import { ENTITY_KINDS, fingerprintText, type EntityKind } from "@sis-sync/roster";
import type { PoolClient } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { openCopy } from "./copy-stream";
import { BinaryBigintCopyReader, FingerprintSet, type Claim } from "./fingerprint-set";
import { SOURCE_TABLES } from "./source-tables";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `sis_raw_unseen.kind`: the kind's position in ENTITY_KINDS. */
export const KIND_NUMBER: Record<EntityKind, number> = Object.fromEntries(ENTITY_KINDS.map((k, i) => [k, i])) as Record<EntityKind, number>;

/**
 * Lets a run skip staging the records its provider sent unchanged last time (issue #4). Before a
 * kind is extracted, the fingerprints of the provider's active links of that kind are loaded (one
 * binary COPY, 14 bytes a link); each delivered record claims its own. At the end the unclaimed
 * ones go to `sis_raw_unseen`: validation and the soft deletes treat an active link as present in
 * the export when it is staged or when its fingerprint is not listed there.
 *
 * Only links whose entity is active carry a fingerprint (the load clears it when a cascade
 * deactivates the entity), so a skipped record never needs re-activating.
 */
export class UnchangedRecords {
  private readonly sets = new Map<EntityKind, FingerprintSet>();

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
    private readonly providerId: string,
  ) {
    if (!UUID.test(providerId)) throw new Error("provider id is not a uuid");
  }

  /** Loads a kind's fingerprints once, before its first record is claimed. */
  async prepare(kind: EntityKind): Promise<void> {
    if (this.sets.has(kind)) return;
    const set = new FingerprintSet();
    const reader = new BinaryBigintCopyReader((hi, lo) => set.add(hi, lo));
    // COPY takes no parameters; the provider id is a checked uuid.
    const stream = this.client.query(
      copyTo(
        `COPY (select record_fp from ${SOURCE_TABLES[kind]} where provider_id = '${this.providerId}' and status = 'active' and record_fp is not null) TO STDOUT (FORMAT binary)`,
      ),
    );
    for await (const chunk of stream) reader.push(chunk as Buffer);
    if (!reader.done) throw new Error(`fingerprints of ${kind}: COPY ended early`);
    this.sets.set(kind, set);
  }

  claim(kind: EntityKind, hi: number, lo: number): Claim {
    return this.sets.get(kind)?.claim(hi, lo) ?? "unknown";
  }

  /** Writes what nobody claimed; a kind the export never delivered leaves all its links unseen. */
  async finish(): Promise<void> {
    for (const kind of ENTITY_KINDS) {
      const set = this.sets.get(kind);
      if (!set) {
        await this.client.query(
          `insert into sis_raw_unseen (run_id, kind, record_fp)
           select $1, $2, record_fp from ${SOURCE_TABLES[kind]} where provider_id = $3 and status = 'active' and record_fp is not null`,
          [this.runId, KIND_NUMBER[kind], this.providerId],
        );
        continue;
      }
      if (set.size === 0) continue;
      const copy = openCopy(this.client, "COPY sis_raw_unseen (run_id, kind, record_fp) FROM STDIN");
      const prefix = `${this.runId}\t${KIND_NUMBER[kind]}\t`;
      let text = "";
      for (const [hi, lo] of set.unclaimed()) {
        text += `${prefix}${fingerprintText(hi, lo)}\n`;
        if (text.length > 65536) {
          await copy.write(text);
          text = "";
        }
      }
      await copy.write(text);
      await copy.end();
    }
    this.sets.clear();
  }

  discard(): void {
    this.sets.clear();
  }
}
