import type { LayeredSet } from "./record-set";
import type { RecordSet, SimClass, SimEnrollment } from "./types";

/**
 * Enrollments derived from class rosters, grouped by class in class order (teachers first,
 * primary first, then students). Random access uses prefix sums of roster sizes, built on
 * first use: one number per class, never one per enrollment.
 */
export class EnrollmentSet implements RecordSet<SimEnrollment> {
  private prefix: Float64Array | null = null;
  private cached: { classIndex: number; rows: SimEnrollment[] } | null = null;

  constructor(
    private readonly classes: LayeredSet<SimClass>,
    private readonly rosterOf: (classOrdinal: number) => SimEnrollment[],
    /** Roster size without building the records (prefix sums touch every class). */
    private readonly rosterSize: (classOrdinal: number) => number,
  ) {}

  private sums(): Float64Array {
    if (!this.prefix) {
      const prefix = new Float64Array(this.classes.count + 1);
      let i = 0;
      for (const ordinal of this.classes.ordinals()) {
        prefix[i + 1] = prefix[i] + this.rosterSize(ordinal);
        i++;
      }
      this.prefix = prefix;
    }
    return this.prefix;
  }

  get count(): number {
    const sums = this.sums();
    return sums[sums.length - 1];
  }

  /** The enrollments of the class at a position of the class set. */
  rosterAt(classIndex: number): SimEnrollment[] {
    if (this.cached?.classIndex !== classIndex) {
      this.cached = { classIndex, rows: this.rosterOf(this.classes.ordinalAt(classIndex)) };
    }
    return this.cached.rows;
  }

  /** Position of the first enrollment of the class at `classIndex`. */
  firstIndexOfClass(classIndex: number): number {
    return this.sums()[classIndex];
  }

  at(index: number): SimEnrollment {
    const sums = this.sums();
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new RangeError(`index ${index} out of range`);
    let lo = 0;
    let hi = sums.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (sums[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.rosterAt(lo)[index - sums[lo]];
  }

  indexOf(id: string): number {
    const [classId, userId] = id.split(":");
    if (!userId) return -1;
    const classIndex = this.classes.indexOf(classId);
    if (classIndex < 0) return -1;
    const pos = this.rosterAt(classIndex).findIndex((e) => e.userId === userId);
    return pos < 0 ? -1 : this.sums()[classIndex] + pos;
  }

  *[Symbol.iterator](): Iterator<SimEnrollment> {
    for (const ordinal of this.classes.ordinals()) yield* this.rosterOf(ordinal);
  }
}
