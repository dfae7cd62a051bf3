import type { RecordSet } from "./types";

/** Index of the first element of ascending `sorted` that is greater than `value`. */
export function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`index ${index} out of range 0..${count - 1}`);
}

export class ArraySet<T extends { id: string }> implements RecordSet<T> {
  private readonly positions: Map<string, number>;

  constructor(private readonly items: readonly T[]) {
    this.positions = new Map(items.map((item, i) => [item.id, i]));
  }

  get count(): number {
    return this.items.length;
  }

  at(index: number): T {
    checkIndex(index, this.items.length);
    return this.items[index];
  }

  indexOf(id: string): number {
    return this.positions.get(id) ?? -1;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * Generated ordinals 0..baseCount-1 minus the removed ones, followed by records added on
 * later days (ordinals ≥ baseCount, kept in memory: they are few). Memory is proportional
 * to the changes, never to the base population.
 */
export class LayeredSet<T extends { id: string }> implements RecordSet<T> {
  constructor(
    private readonly baseCount: number,
    /** Ascending base ordinals no longer present. */
    private readonly removed: readonly number[],
    private readonly removedSet: ReadonlySet<number>,
    /** Ordinals of added records still present, ascending. */
    private readonly added: readonly number[],
    private readonly build: (ordinal: number) => T,
    private readonly ordinalOf: (id: string) => number | null,
  ) {}

  get count(): number {
    return this.baseCount - this.removed.length + this.added.length;
  }

  /** The ordinal at a position. */
  ordinalAt(index: number): number {
    checkIndex(index, this.count);
    const presentBase = this.baseCount - this.removed.length;
    if (index >= presentBase) return this.added[index - presentBase];
    // The smallest ordinal b with (b + 1 - #removed ≤ b) = index + 1.
    let lo = index;
    let hi = Math.min(index + this.removed.length, this.baseCount - 1);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mid + 1 - upperBound(this.removed, mid) >= index + 1) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  at(index: number): T {
    return this.build(this.ordinalAt(index));
  }

  indexOfOrdinal(ordinal: number): number {
    if (ordinal < this.baseCount) {
      if (this.removedSet.has(ordinal)) return -1;
      return ordinal - upperBound(this.removed, ordinal);
    }
    const pos = upperBound(this.added, ordinal) - 1;
    if (pos < 0 || this.added[pos] !== ordinal) return -1;
    return this.baseCount - this.removed.length + pos;
  }

  indexOf(id: string): number {
    const ordinal = this.ordinalOf(id);
    if (ordinal === null) return -1;
    const index = this.indexOfOrdinal(ordinal);
    // The ordinal alone does not carry the creation day: make sure the whole id matches.
    return index >= 0 && this.build(ordinal).id === id ? index : -1;
  }

  *ordinals(): Generator<number> {
    let r = 0;
    for (let b = 0; b < this.baseCount; b++) {
      if (r < this.removed.length && this.removed[r] === b) {
        r++;
        continue;
      }
      yield b;
    }
    yield* this.added;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const ordinal of this.ordinals()) yield this.build(ordinal);
  }
}

/** Several sets read as one, in order (users: teachers, administrators, students). */
export class ConcatSet<T extends { id: string }> implements RecordSet<T> {
  constructor(private readonly parts: readonly RecordSet<T>[]) {}

  get count(): number {
    return this.parts.reduce((sum, part) => sum + part.count, 0);
  }

  at(index: number): T {
    let rest = index;
    for (const part of this.parts) {
      if (rest < part.count) return part.at(rest);
      rest -= part.count;
    }
    throw new RangeError(`index ${index} out of range`);
  }

  indexOf(id: string): number {
    let offset = 0;
    for (const part of this.parts) {
      const i = part.indexOf(id);
      if (i >= 0) return offset + i;
      offset += part.count;
    }
    return -1;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const part of this.parts) yield* part;
  }
}

/** Position of the first record whose id sorts after `id` (Clever `starting_after`). */
export function firstIndexAfter<T extends { id: string }>(set: RecordSet<T>, id: string): number {
  let lo = 0;
  let hi = set.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (set.at(mid).id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Position of the first record whose id is not before `id` (Clever `ending_before`). */
export function firstIndexNotBefore<T extends { id: string }>(set: RecordSet<T>, id: string): number {
  let lo = 0;
  let hi = set.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (set.at(mid).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The positions of a set whose records pass `keep`, as a compact array (nested routes). */
export function filterIndexes<T extends { id: string }>(set: RecordSet<T>, keep: (record: T) => boolean): Int32Array {
  const out: number[] = [];
  let i = 0;
  for (const record of set) {
    if (keep(record)) out.push(i);
    i++;
  }
  return Int32Array.from(out);
}

/** A subset of a set, by position list (a school's classes, a class's students…). */
export class IndexView<T extends { id: string }> implements RecordSet<T> {
  constructor(
    private readonly source: RecordSet<T>,
    private readonly indexes: Int32Array,
  ) {}

  get count(): number {
    return this.indexes.length;
  }

  at(index: number): T {
    if (!Number.isInteger(index) || index < 0 || index >= this.indexes.length) throw new RangeError(`index ${index} out of range`);
    return this.source.at(this.indexes[index]);
  }

  indexOf(id: string): number {
    const sourceIndex = this.source.indexOf(id);
    if (sourceIndex < 0) return -1;
    // Positions are ascending: binary search.
    let lo = 0;
    let hi = this.indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.indexes[mid] < sourceIndex) lo = mid + 1;
      else hi = mid;
    }
    return this.indexes[lo] === sourceIndex ? lo : -1;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const i of this.indexes) yield this.source.at(i);
  }
}

/**
 * Memoised subsets per district: nested routes (`/schools/{id}/users`) page through the same
 * subset many times; the scan runs once per (district, key). `grouped` builds the subsets of
 * every school (term, course…) in one pass, so walking all schools costs one scan, not one each.
 */
export class ViewCache {
  private readonly byOwner = new WeakMap<object, Map<string, unknown>>();

  memo<V>(owner: object, key: string, build: () => V): V {
    let entries = this.byOwner.get(owner);
    if (!entries) {
      entries = new Map();
      this.byOwner.set(owner, entries);
    }
    if (!entries.has(key)) entries.set(key, build());
    return entries.get(key) as V;
  }

  view<T extends { id: string }>(owner: object, key: string, set: RecordSet<T>, keep: (record: T) => boolean): IndexView<T> {
    return new IndexView(set, this.memo(owner, `view:${key}`, () => filterIndexes(set, keep)));
  }

  grouped<T extends { id: string }>(
    owner: object,
    name: string,
    set: RecordSet<T>,
    keysOf: (record: T) => readonly string[],
    key: string,
  ): IndexView<T> {
    const groups = this.memo(owner, `group:${name}`, () => {
      const lists = new Map<string, number[]>();
      let i = 0;
      for (const record of set) {
        for (const k of keysOf(record)) {
          let list = lists.get(k);
          if (!list) lists.set(k, (list = []));
          list.push(i);
        }
        i++;
      }
      return new Map([...lists].map(([k, list]) => [k, Int32Array.from(list)]));
    });
    return new IndexView(set, groups.get(key) ?? new Int32Array(0));
  }
}
