import type { CanonicalRecordByKind, EntityKind } from "./canonical";

/**
 * A record's fingerprint as the connector delivered it, before normalisation: 64 bits from two
 * independent 32-bit lanes over every field the preparers read, the external id and the deleted
 * flag. A full sync compares it with the fingerprint stored on the record's source link and skips
 * normalising, hashing and staging a record that did not change (issue #4: a no-change re-sync
 * should cost about what reading the source costs). It is a cheap change detector, not the
 * content hash: a record whose fingerprint differs is prepared and compared as before.
 *
 * Bump FINGERPRINT_VERSION whenever a preparer or normaliser changes what a record becomes:
 * every stored fingerprint then stops matching and each record is staged once again.
 */
export const FINGERPRINT_VERSION = 1;

type Mix = (v: unknown) => void;

// One reader per kind, fields in a fixed order: monomorphic property reads (a loop over field
// names with rec[name] is several times slower on millions of records).
const READERS: { [K in EntityKind]: (r: CanonicalRecordByKind[K], mix: Mix) => void } = {
  schools: (r, mix) => {
    mix(r.externalId);
    mix(r.name);
    mix(r.schoolNumber);
    mix(r.ncesId);
  },
  classes: (r, mix) => {
    mix(r.externalId);
    mix(r.schoolExternalId);
    mix(r.title);
    mix(r.classCode);
    mix(r.subject);
    mix(r.period);
    mix(r.termExternalId);
    mix(r.termName);
    mix(r.termStartDate);
    mix(r.termEndDate);
    mix(r.courseExternalId);
    mix(r.courseTitle);
  },
  users: (r, mix) => {
    mix(r.externalId);
    mix(r.role);
    mix(r.givenName);
    mix(r.familyName);
    mix(r.email);
    mix(r.username);
    mix(r.studentNumber);
    mix(r.grades);
    mix(r.schoolExternalIds);
  },
  enrollments: (r, mix) => {
    mix(r.externalId);
    mix(r.classExternalId);
    mix(r.userExternalId);
    mix(r.role);
    mix(r.primary);
    mix(r.beginDate);
    mix(r.endDate);
  },
};

const KIND_SEED: Record<EntityKind, number> = { schools: 1, classes: 2, users: 3, enrollments: 4 };

// Type tags keep null, "", "null", false and [] apart; lengths keep ["ab","c"] apart from ["a","bc"].
const TAG_NULL = 0x101;
const TAG_STRING = 0x102;
const TAG_TRUE = 0x103;
const TAG_FALSE = 0x104;
const TAG_ARRAY = 0x105;
const TAG_OTHER = 0x106;

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Computes fingerprints into `hi` / `lo` (signed 32-bit halves) without allocating. The two lanes
 * live in locals inside each string loop (not fields): this runs over every character of every
 * record of a full export, and field loads and stores per step cost several times the hashing.
 */
export class RecordFingerprinter {
  hi = 0;
  lo = 0;
  private a = 0;
  private b = 0;
  private readonly mix: Mix = (v) => this.value(v);

  of<K extends EntityKind>(kind: K, record: CanonicalRecordByKind[K]): this {
    this.a = 0x811c9dc5 ^ FINGERPRINT_VERSION;
    this.b = 0x2545f491 ^ KIND_SEED[kind];
    (READERS[kind] as (r: CanonicalRecordByKind[K], mix: Mix) => void)(record, this.mix);
    this.unit(record.deleted === true ? TAG_TRUE : TAG_FALSE);
    const a = fmix32(this.a ^ Math.imul(this.b, 0x9e3779b1));
    const b = fmix32(this.b ^ Math.imul(this.a, 0x85ebca77));
    this.hi = a | 0;
    this.lo = b | 0;
    return this;
  }

  private unit(c: number): void {
    this.a = laneA(this.a, c);
    this.b = laneB(this.b, c);
  }

  private text(s: string): void {
    let a = laneA(laneA(this.a, TAG_STRING), s.length);
    let b = laneB(laneB(this.b, TAG_STRING), s.length);
    // Two UTF-16 units per step: half the multiplications on long ids.
    const even = s.length & ~1;
    for (let i = 0; i < even; i += 2) {
      const c = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
      a = laneA(a, c);
      b = laneB(b, c);
    }
    if (even < s.length) {
      a = laneA(a, s.charCodeAt(even));
      b = laneB(b, s.charCodeAt(even));
    }
    this.a = a;
    this.b = b;
  }

  private value(v: unknown): void {
    if (v === null || v === undefined) this.unit(TAG_NULL);
    else if (typeof v === "string") this.text(v);
    else if (typeof v === "boolean") this.unit(v ? TAG_TRUE : TAG_FALSE);
    else if (Array.isArray(v)) {
      this.unit(TAG_ARRAY);
      this.unit(v.length);
      for (let i = 0; i < v.length; i++) this.value(v[i]);
    } else {
      this.unit(TAG_OTHER);
      this.text(typeof v === "number" ? String(v) : JSON.stringify(v));
    }
  }
}

// Lane a: FNV-1a. Lane b: a murmur-style multiply-rotate. Different primes, different mixing.
function laneA(a: number, c: number): number {
  return Math.imul(a ^ c, 0x01000193);
}
function laneB(b: number, c: number): number {
  const m = Math.imul(b ^ c, 0x5bd1e995);
  return (m << 13) | (m >>> 19);
}

/** The fingerprint as Postgres `bigint` text (COPY). */
export function fingerprintText(hi: number, lo: number): string {
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString();
}
