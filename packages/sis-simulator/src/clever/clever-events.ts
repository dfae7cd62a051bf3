/**
 * Clever Events API v3.0 for the peer (issue #9, research §1.7): every `setDistrict` appends the
 * events that turn the served district into the next one — `schools|sections|users` ×
 * `created|updated|deleted`, `previous_attributes` on updates (the changed top-level fields' old
 * values), `data.object` the whole record (for a deletion, as it was). Ids are 24-hex, ascending
 * in creation order, so `starting_after` paging works as on the other lists.
 *
 * The log keeps the events of the last 30 served days (Clever's window); `starting_after` an id
 * the log does not hold is refused with 404, as an expired or unknown cursor.
 */
import { ArraySet, dayTimestamp, type District, type RecordSet } from "../generator";
import { cleverSchool, cleverSection, cleverUser } from "./clever-records";

type Json = Record<string, unknown>;

export interface CleverEvent {
  id: string;
  type: string;
  created: string;
  data: { object: Json; previous_attributes?: Json };
}

/** "Before every event": a cursor for a stream that had no events yet (the log never dropped any). */
export const CLEVER_EVENTS_START = "0".repeat(24);
const WINDOW_DAYS = 30;

export class CleverEventLog {
  private events: CleverEvent[] = [];
  private view: RecordSet<CleverEvent> = new ArraySet<CleverEvent>([]);
  private seq = 0;
  private dropped = false;

  get set(): RecordSet<CleverEvent> {
    return this.view;
  }

  /** Whether `starting_after` may be served: an event the log holds, or the start when nothing was dropped. */
  knows(id: string): boolean {
    if (id === CLEVER_EVENTS_START) return !this.dropped;
    return this.view.indexOf(id) >= 0;
  }

  record(prev: District, next: District): void {
    const created = dayTimestamp(next.day);
    const push = (type: string, object: Json, previous?: Json) => {
      this.seq += 1;
      const id = `${next.day.toString(16).padStart(8, "0")}${this.seq.toString(16).padStart(16, "0")}`;
      this.events.push({ id, type, created, data: previous ? { object, previous_attributes: previous } : { object } });
    };
    const diff = <T extends { id: string }>(kind: string, before: RecordSet<T>, after: RecordSet<T>, json: (d: District, r: T) => Json) => {
      for (const r of after) {
        const i = before.indexOf(r.id);
        const now = json(next, r);
        if (i < 0) {
          push(`${kind}.created`, now);
          continue;
        }
        const old = json(prev, before.at(i));
        const previous: Json = {};
        for (const k of Object.keys({ ...old, ...now })) if (JSON.stringify(old[k]) !== JSON.stringify(now[k])) previous[k] = old[k] ?? null;
        if (Object.keys(previous).length > 0) push(`${kind}.updated`, now, previous);
      }
      for (const r of before) if (after.indexOf(r.id) < 0) push(`${kind}.deleted`, json(prev, r));
    };
    if (prev !== next) {
      diff("schools", prev.schools, next.schools, cleverSchool);
      diff("sections", prev.classes, next.classes, cleverSection);
      diff("users", prev.users, next.users, cleverUser);
    }
    const oldest = dayTimestamp(next.day - WINDOW_DAYS);
    const kept = this.events.filter((e) => e.created > oldest);
    if (kept.length < this.events.length) this.dropped = true;
    this.events = kept;
    this.view = new ArraySet(this.events);
  }
}
