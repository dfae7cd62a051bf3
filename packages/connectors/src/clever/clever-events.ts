import { ConnectorError, type CanonicalClass, type CanonicalEnrollment, type CanonicalSchool, type CanonicalUser, type RejectedRecord } from "@sis-sync/roster";
import { SisHttpError } from "../http/sis-http-client";
import { deriveCleverEnrollments, mapCleverSchool, mapCleverSection, mapCleverUser, type CleverLookups, type MapOutcome } from "./clever-mappers";
import { cleverApiUrl, cleverPages, unwrapCleverList, type CleverGetJson, type CleverPagingOptions } from "./clever-paging";
import type { CleverSchool, CleverSection, CleverUser } from "./clever-types";

/**
 * Clever Events API v3.0 (research §1.7, issue #9). The cursor is the id of the last event
 * applied; a full sync stores the newest event id it saw before reading (research §1.7: "save the
 * current event ID, then…"), so the first incremental run replays from there — events are
 * idempotent to apply. `EVENTS_START` means "the stream was empty": replay from its start.
 */
export const CLEVER_EVENTS_START = "0".repeat(24);
/** Greater than any ObjectId: `ending_before` it with limit 1 is the newest event (the UNCONFIRMED §1.7 approach). */
const AFTER_EVERY_ID = "f".repeat(24);

interface CleverEvent {
  id: string;
  type?: string;
  data?: { object?: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

/** The newest event id, or EVENTS_START when there is none; null when the district has no events API (not enabled). */
export async function latestCleverEventId(getJson: CleverGetJson, baseUrl: string, signal: AbortSignal): Promise<string | null> {
  try {
    const { body } = await getJson(cleverApiUrl(baseUrl, "events"), { signal, query: { limit: 1, ending_before: AFTER_EVERY_ID } });
    const { items } = unwrapCleverList<CleverEvent>(body, "events");
    const last = items[items.length - 1];
    return typeof last?.id === "string" ? last.id : CLEVER_EVENTS_START;
  } catch (e) {
    if (e instanceof SisHttpError && (e.status === 404 || e.status === 400 || e.status === 403)) return null;
    throw e;
  }
}

export interface CleverDelta {
  schools: MapOutcome<CanonicalSchool>[];
  classes: MapOutcome<CanonicalClass>[];
  users: MapOutcome<CanonicalUser>[];
  enrollments: CanonicalEnrollment[];
  lastEventId: string;
  events: number;
}

/**
 * Reads every event after `cursor` and folds them into one record per entity (the last event
 * wins; a record must appear once per export). Sections become classes plus their current
 * enrollments; members that `previous_attributes` show leaving a section, and every member of a
 * deleted section, become deleted enrollments. Throws CURSOR_EXPIRED when Clever refuses the cursor.
 */
export async function readCleverDelta(getJson: CleverGetJson, paging: CleverPagingOptions, cursor: string, lookups: CleverLookups): Promise<CleverDelta> {
  const schools = new Map<string, { object: CleverSchool; deleted: boolean }>();
  const users = new Map<string, { object: CleverUser; deleted: boolean }>();
  const sections = new Map<string, { object: CleverSection; deleted: boolean; removed: Map<string, CanonicalEnrollment> }>();
  let lastEventId = cursor;
  let events = 0;
  try {
    const first = cursor === CLEVER_EVENTS_START ? null : cursor;
    for await (const page of cleverPages<CleverEvent>(getJson, "events", { ...paging, startingAfter: first })) {
      for (const event of page) {
        events += 1;
        lastEventId = event.id;
        const [kind, action] = String(event.type ?? "").split(".");
        const object = event.data?.object;
        if (!object || typeof object.id !== "string") continue;
        const deleted = action === "deleted";
        if (kind === "schools") schools.set(object.id, { object: object as unknown as CleverSchool, deleted });
        else if (kind === "users") users.set(object.id, { object: object as unknown as CleverUser, deleted });
        else if (kind === "sections") {
          const section = object as unknown as CleverSection;
          const entry = sections.get(section.id) ?? { object: section, deleted, removed: new Map<string, CanonicalEnrollment>() };
          const previous = event.data?.previous_attributes;
          if (previous && ("students" in previous || "teachers" in previous || "teacher" in previous)) {
            const now = new Set(deriveCleverEnrollments(section).map((e) => e.externalId));
            for (const e of deriveCleverEnrollments({ ...section, ...(previous as Partial<CleverSection>) })) if (!now.has(e.externalId)) entry.removed.set(e.externalId, e);
          }
          entry.object = section;
          entry.deleted = deleted;
          sections.set(section.id, entry);
        }
      }
    }
  } catch (e) {
    if (e instanceof SisHttpError && (e.status === 404 || e.status === 400)) {
      throw new ConnectorError("CURSOR_EXPIRED", `Clever refused the events cursor ${cursor} (${e.message})`, { cause: e });
    }
    throw e;
  }

  const asDeleted = <T extends { deleted?: boolean }>(o: MapOutcome<T>, deleted: boolean): MapOutcome<T> =>
    deleted && "record" in o ? { record: { ...o.record, deleted: true } } : o;
  const enrollments: CanonicalEnrollment[] = [];
  const classes: MapOutcome<CanonicalClass>[] = [];
  for (const { object, deleted, removed } of sections.values()) {
    classes.push(asDeleted(mapCleverSection(object, lookups), deleted));
    const current = deriveCleverEnrollments(object);
    if (deleted) {
      for (const e of current) removed.set(e.externalId, e);
    } else {
      for (const e of current) {
        removed.delete(e.externalId);
        enrollments.push(e);
      }
    }
    for (const e of removed.values()) enrollments.push({ ...e, deleted: true });
  }
  return {
    schools: [...schools.values()].map(({ object, deleted }) => asDeleted(mapCleverSchool(object), deleted)),
    classes,
    users: [...users.values()].map(({ object, deleted }) => asDeleted(mapCleverUser(object), deleted)),
    enrollments,
    lastEventId,
    events,
  };
}

export type { RejectedRecord };
