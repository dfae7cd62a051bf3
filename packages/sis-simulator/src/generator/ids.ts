/**
 * Ids look like Clever's 24-hex ObjectIds and sort like them: by creation time first.
 * Layout: 8 hex creation second (base + day) | 4 hex seed tag | 2 hex kind | 10 hex ordinal.
 * Entities added on a later day get a later time prefix and a fresh ordinal, so ids of
 * added entities never reuse removed ones and stay ascending after everything older.
 * The same id is the Clever `id` and the OneRoster `sourcedId`.
 */

export const ID_KINDS = {
  district: 0x00,
  school: 0x01,
  session: 0x02,
  course: 0x03,
  class: 0x04,
  teacher: 0x05,
  administrator: 0x06,
  student: 0x07,
} as const;
export type IdKind = keyof typeof ID_KINDS;

/** 2026-08-01T00:00:00Z: day 0 of every generated district. */
export const BASE_EPOCH_SECONDS = 1785542400;
const SECONDS_PER_DAY = 86_400;

export function seedTag(seed: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) >>> 16) & 0xffff;
}

export function makeId(kind: IdKind, day: number, ordinal: number, tag: number): string {
  return (
    (BASE_EPOCH_SECONDS + day * SECONDS_PER_DAY).toString(16).padStart(8, "0") +
    tag.toString(16).padStart(4, "0") +
    ID_KINDS[kind].toString(16).padStart(2, "0") +
    ordinal.toString(16).padStart(10, "0")
  );
}

export interface ParsedId {
  kind: number;
  day: number;
  ordinal: number;
  tag: number;
}

const ID_PATTERN = /^[0-9a-f]{24}$/;

export function parseId(id: string): ParsedId | null {
  if (!ID_PATTERN.test(id)) return null;
  const seconds = parseInt(id.slice(0, 8), 16) - BASE_EPOCH_SECONDS;
  if (seconds < 0 || seconds % SECONDS_PER_DAY !== 0) return null;
  return {
    day: seconds / SECONDS_PER_DAY,
    tag: parseInt(id.slice(8, 12), 16),
    kind: parseInt(id.slice(12, 14), 16),
    ordinal: parseInt(id.slice(14), 16),
  };
}

/** The calendar date (YYYY-MM-DD) of an export day. */
export function dayDate(day: number): string {
  return new Date((BASE_EPOCH_SECONDS + day * SECONDS_PER_DAY) * 1000).toISOString().slice(0, 10);
}

/** The timestamp an export of `day` stamps on records modified that day. */
export function dayTimestamp(day: number): string {
  return `${dayDate(day)}T06:00:00.000Z`;
}
