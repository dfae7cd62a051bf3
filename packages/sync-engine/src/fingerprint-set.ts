/**
 * The fingerprints of a provider's active source links of one kind, loaded before a full run
 * extracts that kind (issue #4). Each record the connector delivers claims its fingerprint: a
 * claimed one is unchanged and is not staged; the unclaimed ones left at the end are the links
 * this run did not see unchanged (changed or gone), written to `sis_raw_unseen`.
 *
 * Open addressing over typed arrays (8 bytes + 1 per slot, load ≤ 0.7): 5 M enrollments take
 * ≈ 75 MB, where a Map of strings would take several hundred.
 */
export type Claim = "unchanged" | "again" | "unknown";

const EMPTY = 0;
const UNCLAIMED = 1;
const CLAIMED = 2;
const MAX_LOAD = 0.7;

export class FingerprintSet {
  private keys: Int32Array;
  private state: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(expected = 0) {
    let capacity = 16;
    while (capacity * MAX_LOAD < expected) capacity *= 2;
    this.keys = new Int32Array(capacity * 2);
    this.state = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  add(hi: number, lo: number): void {
    if (this.count + 1 > this.state.length * MAX_LOAD) this.grow();
    const slot = this.find(hi, lo);
    if (this.state[slot] !== EMPTY) return; // a 64-bit collision: one entry stands for both (see sis_raw_unseen)
    this.keys[slot * 2] = hi;
    this.keys[slot * 2 + 1] = lo;
    this.state[slot] = UNCLAIMED;
    this.count++;
  }

  /** "unchanged" the first time, "again" for a second identical record, "unknown" when not held. */
  claim(hi: number, lo: number): Claim {
    const slot = this.find(hi, lo);
    const s = this.state[slot];
    if (s === EMPTY) return "unknown";
    if (s === CLAIMED) return "again";
    this.state[slot] = CLAIMED;
    return "unchanged";
  }

  /** The fingerprints nobody claimed, as [hi, lo] pairs. */
  *unclaimed(): Generator<[number, number]> {
    for (let slot = 0; slot < this.state.length; slot++) {
      if (this.state[slot] === UNCLAIMED) yield [this.keys[slot * 2], this.keys[slot * 2 + 1]];
    }
  }

  private find(hi: number, lo: number): number {
    // Fingerprints are already well mixed: their low bits make a fine slot index.
    let slot = (lo ^ hi) & this.mask;
    while (this.state[slot] !== EMPTY && (this.keys[slot * 2] !== hi || this.keys[slot * 2 + 1] !== lo)) slot = (slot + 1) & this.mask;
    return slot;
  }

  private grow(): void {
    const { keys, state } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.state = new Uint8Array(state.length * 2);
    this.mask = this.state.length - 1;
    for (let old = 0; old < state.length; old++) {
      if (state[old] === EMPTY) continue;
      const slot = this.find(keys[old * 2], keys[old * 2 + 1]);
      this.keys[slot * 2] = keys[old * 2];
      this.keys[slot * 2 + 1] = keys[old * 2 + 1];
      this.state[slot] = state[old];
    }
  }
}
