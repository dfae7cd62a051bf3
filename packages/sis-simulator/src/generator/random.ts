/**
 * Deterministic randomness. Records of the large districts are computed from
 * (seed, kind, index) on demand, so randomness is a pure hash, not a stream:
 * the same inputs give the same record whether it is the first or the millionth asked for.
 */

/** A 32-bit avalanche hash of a list of integers (murmur3 finaliser per step). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h ^ Math.floor(part / 0x100000000), 0x27d4eb2f);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** A uniform float in [0, 1) from the hash of the given parts. */
export function unit(...parts: number[]): number {
  return hash32(...parts) / 0x100000000;
}

/** Picks one element of `items` by hashing the given parts. */
export function pickBy<T>(items: readonly T[], ...parts: number[]): T {
  return items[hash32(...parts) % items.length];
}

/** A sequential seeded generator (mulberry32) for the small, ordered choices `mutate` makes. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = hash32(seed, 0x5eed) | 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}
