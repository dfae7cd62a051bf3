/**
 * Delta reads for the OneRoster REST peer (issue #9, research §3.2): `filter=dateLastModified>'<t>'`
 * returns the records changed since `t` and, for records that left the export since then, a
 * `status: "tobedeleted"` row dated the day they left. The generator keeps no tombstones, so the
 * peer remembers the districts it served (`DeltaHistory`) and diffs against the one current at `t`.
 * A `t` older than that history is refused with 400 `invalid_filter_field`, as a server with a
 * bounded change log would refuse it.
 */
import { ArraySet, dayTimestamp, type District, type RecordSet } from "../generator";

type Json = Record<string, unknown>;

/** `dateLastModified>'…'` or `>=` alone: what a delta client sends. */
const DELTA_FILTER = /^\s*dateLastModified\s*(>=|>)\s*'((?:[^']|'')*)'\s*$/;

export function deltaSince(filter: string): string | null {
  const m = DELTA_FILTER.exec(filter);
  return m ? m[2].replace(/''/g, "'") : null;
}

/** How many earlier districts a peer keeps for deltas (one per served day, as a 30-day change window). */
export const DELTA_HISTORY_DAYS = 30;

export class DeltaHistory {
  private readonly served: District[] = [];

  constructor(first: District) {
    this.served.push(first);
  }

  record(next: District): void {
    this.served.push(next);
    if (this.served.length > DELTA_HISTORY_DAYS + 1) this.served.shift();
  }

  /** The latest district that was served at `since`, or null when `since` is older than the history. */
  at(since: string): District | null {
    let found: District | null = null;
    for (const d of this.served) if (dayTimestamp(d.day) <= since) found = d;
    return found;
  }
}

export type DeltaRow = { id: string; json: Json };

/** Rows of `old` whose ids `current` no longer holds, as tobedeleted records dated `current.day`. */
export function tombstones<T extends { id: string }>(old: RecordSet<T>, current: RecordSet<T>, toJson: (r: T) => Json, currentDay: number): DeltaRow[] {
  const out: DeltaRow[] = [];
  if (old === current) return out;
  for (const r of old) {
    if (current.indexOf(r.id) >= 0) continue;
    out.push({ id: r.id, json: { ...toJson(r), status: "tobedeleted", dateLastModified: dayTimestamp(currentDay) } });
  }
  return out;
}

/** Changed rows (already filtered) followed by tombstones, as one pageable set. */
export function deltaSet(changed: Iterable<DeltaRow>, deleted: DeltaRow[]): RecordSet<DeltaRow> {
  return new ArraySet<DeltaRow>([...changed, ...deleted]);
}
