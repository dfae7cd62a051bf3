import { ENROLLMENT_ROLES, ROSTER_ROLES, type EnrollmentRole, type RosterRole } from "./canonical";

/**
 * Pure normalisation shared by connectors (mapping SIS values) and the engine (defensive
 * re-normalisation before hashing). Every function is idempotent: f(f(x)) === f(x).
 */

// Postgres text cannot hold NUL, and other C0 controls are never meaningful in a roster field.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const HAS_CONTROL_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Trimmed text without control characters; blank → null. */
export function normalizeText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  let s = typeof value === "string" ? value : String(value);
  // Runs for every field of millions of records: test before rewriting (almost never needed).
  if (HAS_CONTROL_CHAR.test(s)) s = s.replace(CONTROL_CHARS, "");
  s = s.trim();
  return s === "" ? null : s;
}

/** A person's name: trimmed, inner whitespace runs collapsed to one space; blank → "". */
export function normalizeName(value: unknown): string {
  const s = normalizeText(value) ?? "";
  return /\s\s|[\t\n\r\f\v]/.test(s) ? s.replace(/\s+/g, " ") : s;
}

/** Email as shown (trimmed, as the SIS spelled it); blank → null. */
export function normalizeEmail(value: unknown): string | null {
  const s = normalizeText(value);
  return s === null ? null : /\s/.test(s) ? s.replace(/\s+/g, "") : s;
}

/** The key users are matched on: case-insensitive (seed "Matching Logic"), so lower-cased. */
export function emailMatchKey(value: unknown): string | null {
  const s = normalizeEmail(value);
  return s === null ? null : s.toLowerCase();
}

const ROLE_ALIASES: Record<string, RosterRole> = {
  student: "student",
  learner: "student",
  teacher: "teacher",
  instructor: "teacher",
  administrator: "administrator",
  // OneRoster 1.2 splits administrator; Clever has district/school admins.
  districtadministrator: "administrator",
  siteadministrator: "administrator",
  systemadministrator: "administrator",
  principal: "administrator",
  districtadmin: "administrator",
  schooladmin: "administrator",
  admin: "administrator",
  aide: "aide",
  teacheraide: "aide",
  ta: "aide",
  // Clever "staff" are school staff accounts (principals, counsellors, office): they get the
  // administrator role, as the Clever connector maps them (clever-mappers.ts).
  staff: "administrator",
  guardian: "guardian",
  // Clever "contacts" are guardians/emergency contacts.
  contact: "guardian",
  parent: "parent",
  relative: "relative",
  proctor: "proctor",
};

/** Maps a OneRoster (1.1/1.2) or Clever role to the one role set; unknown → null. */
export function mapRole(value: unknown): RosterRole | null {
  if (typeof value === "string" && Object.prototype.hasOwnProperty.call(ROLE_ALIASES, value)) return ROLE_ALIASES[value];
  const s = normalizeText(value);
  if (s === null) return null;
  return ROLE_ALIASES[s.toLowerCase().replace(/[\s_-]/g, "")] ?? null;
}

export function isRosterRole(value: unknown): value is RosterRole {
  return typeof value === "string" && (ROSTER_ROLES as readonly string[]).includes(value);
}

/** Enrollment roles are a subset: guardians are never enrolled in a class. */
export function mapEnrollmentRole(value: unknown): EnrollmentRole | null {
  const r = mapRole(value);
  return r !== null && (ENROLLMENT_ROLES as readonly string[]).includes(r) ? (r as EnrollmentRole) : null;
}

/** CEDS grade levels (OneRoster 1.1 §4.13.5), in school order. */
export const GRADE_ORDER = ["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS", "UG", "Other"] as const;
export type Grade = (typeof GRADE_ORDER)[number];

const GRADE_WORDS: Record<string, Grade> = {
  it: "IT",
  infanttoddler: "IT",
  pr: "PR",
  preschool: "PR",
  pk: "PK",
  prek: "PK",
  prekindergarten: "PK",
  tk: "TK",
  transitionalkindergarten: "TK",
  k: "KG",
  kg: "KG",
  kindergarten: "KG",
  // Clever "PostGraduate"; CEDS PS is postsecondary.
  ps: "PS",
  postgraduate: "PS",
  postsecondary: "PS",
  ug: "UG",
  ungraded: "UG",
  other: "Other",
};

const ORDINALS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth"];

/** One grade in CEDS form ("KG", "01".."13", …); anything unrecognised → "Other"; blank → null. */
export function normalizeGrade(value: unknown): Grade | null {
  const s = normalizeText(value);
  if (s === null) return null;
  // Some SIS send "-1" for pre-K and "-2" for preschool.
  if (s === "-1") return "PK";
  if (s === "-2") return "PR";
  const key = s.toLowerCase().replace(/[\s_.-]/g, "").replace(/^grade/, "");
  if (key in GRADE_WORDS) return GRADE_WORDS[key];
  const m = /^0*(\d{1,2})(st|nd|rd|th)?$/.exec(key);
  if (m) {
    const n = Number(m[1]);
    if (n === 0) return "KG";
    if (n >= 1 && n <= 13) return String(n).padStart(2, "0") as Grade;
    return "Other";
  }
  const ordinal = ORDINALS.indexOf(key.replace(/grade$/, ""));
  if (ordinal > 0) return String(ordinal).padStart(2, "0") as Grade;
  return "Other";
}

/** Grades de-duplicated and in school order (so the content hash does not depend on SIS order). */
export function normalizeGrades(values: readonly unknown[] | null | undefined): Grade[] {
  if (!values) return [];
  const set = new Set<Grade>();
  for (const v of values) {
    const g = normalizeGrade(v);
    if (g !== null) set.add(g);
  }
  return GRADE_ORDER.filter((g) => set.has(g));
}

/** A calendar date as YYYY-MM-DD (accepts an ISO date-time and keeps its date part); invalid → null. */
export function normalizeDate(value: unknown): string | null {
  const s = normalizeText(value);
  if (s === null) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** OneRoster booleans arrive as "true"/"false" strings in CSV. */
export function normalizeBoolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const s = normalizeText(value);
  return s !== null && ["true", "t", "1", "yes", "y"].includes(s.toLowerCase());
}
