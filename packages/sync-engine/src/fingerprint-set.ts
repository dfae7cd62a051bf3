/**
 * The fingerprints of a provider's active source links of one kind, loaded before a full run
 * extracts that kind (issue #4). Each record the connector delivers claims its fingerprint: a
 * claimed one is unchanged and is not staged; the unclaimed ones left at the end are the links
 * this run did not see unchanged (changed or gone), written to `sis_raw_unseen`.
 *
 * The links are loaded in external-id order, which is the order most SIS deliver (Clever pages by
 * id, OneRoster servers and CSV exports by sourcedId), so a claim usually finds its fingerprint
 * next to a cursor that walks the list: one sequential read. A random lookup into a table of
 * millions of slots costs a cache and TLB miss (≈ 1 s per 5 M enrollments, most of a no-change
 * run's own work), and so does building one.
 *
 * A record not found near the cursor (new, changed, or delivered out of that order) is "unknown"
 * and gets staged, which is always correct: staging only costs time, and the load recognises an
 * unchanged record by its content hash. Once such misses pass MISSES_BEFORE_INDEX plus a share
 * of the list (a source that delivers in some other order), a hash index over the list is built
 * and every later miss is looked up in it.
 *
 * The list may still be loading while claims run (see seal()).
 *
 * Memory: 9 bytes a link, plus ≈ 6 if the index is built (5 M enrollments: 45 MB / 75 MB).
 */
export type Claim = "unchanged" | "again" | "unknown";

/** How far past the cursor a claim looks: links removed since last time (a class's enrollments). */
const AHEAD = 512;
/** ... and behind it: neighbours delivered swapped. */
const BEHIND = 8;
const MISSES_BEFORE_INDEX = 1024;
/** ... plus this share of the links: a 1 %-change day's new and changed records stay under it. */
const MISSED_SHARE_BEFORE_INDEX = 1 / 32;
const MAX_LOAD = 0.7;

export class FingerprintSet {
  /** [hi, lo] per link, in load order. */
  private fps: Int32Array;
  private claimed: Uint8Array;
  private count = 0;
  private cursor = 0;
  private misses = 0;
  private complete = false;
  /** Open addressing over positions (position + 1; 0 = empty); null until a claim misses the cursor. */
  private index: Int32Array | null = null;

  constructor(expected = 0) {
    this.fps = new Int32Array(Math.max(16, expected) * 2);
    this.claimed = new Uint8Array(Math.max(16, expected));
  }

  get size(): number {
    return this.count;
  }

  /** Every link is added: claims may now look anywhere (the index needs the whole list). */
  seal(): void {
    this.complete = true;
  }

  get sealed(): boolean {
    return this.complete;
  }

  /** How many links must be loaded before the next `records` claims (the window past the cursor). */
  reach(records: number): number {
    return this.cursor + records + AHEAD;
  }

  /** Misses passed the threshold while the list was still loading: claims want the index, hence every link. */
  get wantsEverything(): boolean {
    return this.index === null && !this.complete && this.misses > this.missThreshold();
  }

  /** Appends a link's fingerprint (loading, possibly while claims run near the front). */
  add(hi: number, lo: number): void {
    if (this.count === this.claimed.length) {
      const fps = new Int32Array(this.fps.length * 2);
      fps.set(this.fps);
      this.fps = fps;
      const claimed = new Uint8Array(this.claimed.length * 2);
      claimed.set(this.claimed); // claims may run while the list loads
      this.claimed = claimed;
    }
    this.fps[this.count * 2] = hi;
    this.fps[this.count * 2 + 1] = lo;
    this.count++;
  }

  /**
   * "unchanged" the first time, "again" for a second identical record, "unknown" when not held
   * (or, before the index exists, not found near the cursor).
   */
  claim(hi: number, lo: number): Claim {
    const fps = this.fps;
    const from = Math.max(0, this.cursor - BEHIND);
    const to = Math.min(this.count, this.cursor + AHEAD);
    // Ahead of the cursor first (the usual case: the next link), then just behind it.
    for (let at = this.cursor; at < to; at++) {
      if (fps[at * 2] === hi && fps[at * 2 + 1] === lo) return this.claimAt(at);
    }
    for (let at = this.cursor - 1; at >= from; at--) {
      if (fps[at * 2] === hi && fps[at * 2 + 1] === lo) return this.claimAt(at);
    }
    if (this.index === null && (++this.misses <= this.missThreshold() || !this.complete)) return "unknown";
    const at = this.lookup(hi, lo);
    return at < 0 ? "unknown" : this.claimAt(at);
  }

  /** The fingerprints nobody claimed, as [hi, lo] pairs, in load order. */
  *unclaimed(): Generator<[number, number]> {
    for (let at = 0; at < this.count; at++) {
      if (this.claimed[at] === 0) yield [this.fps[at * 2], this.fps[at * 2 + 1]];
    }
  }

  private missThreshold(): number {
    return MISSES_BEFORE_INDEX + this.count * MISSED_SHARE_BEFORE_INDEX;
  }

  private claimAt(at: number): Claim {
    if (this.claimed[at] !== 0) return "again";
    this.claimed[at] = 1;
    if (at >= this.cursor) this.cursor = at + 1;
    return "unchanged";
  }

  /** The first position holding the fingerprint, or -1. */
  private lookup(hi: number, lo: number): number {
    this.index ??= this.buildIndex();
    const index = this.index;
    const mask = index.length - 1;
    // Fingerprints are already well mixed: their low bits make a fine slot index.
    for (let slot = (lo ^ hi) & mask; index[slot] !== 0; slot = (slot + 1) & mask) {
      const at = index[slot] - 1;
      if (this.fps[at * 2] === hi && this.fps[at * 2 + 1] === lo) return at;
    }
    return -1;
  }

  private buildIndex(): Int32Array {
    let capacity = 16;
    while (capacity * MAX_LOAD < this.count) capacity *= 2;
    const index = new Int32Array(capacity);
    const mask = capacity - 1;
    const fps = this.fps;
    for (let at = 0; at < this.count; at++) {
      const hi = fps[at * 2];
      const lo = fps[at * 2 + 1];
      let slot = (lo ^ hi) & mask;
      // A 64-bit collision keeps the first position: the second copy is never claimed, so both
      // links are checked by SQL (sis_raw_unseen matches by value), which is the safe side.
      for (; index[slot] !== 0; slot = (slot + 1) & mask) {
        const other = index[slot] - 1;
        if (fps[other * 2] === hi && fps[other * 2 + 1] === lo) break;
      }
      if (index[slot] === 0) index[slot] = at + 1;
    }
    return index;
  }
}
