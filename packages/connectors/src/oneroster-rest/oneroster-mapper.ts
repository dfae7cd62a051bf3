import {
  mapEnrollmentRole,
  mapRole,
  normalizeBoolean,
  normalizeDate,
  normalizeEmail,
  normalizeGrades,
  normalizeName,
  normalizeText,
  type CanonicalClass,
  type CanonicalEnrollment,
  type CanonicalSchool,
  type CanonicalUser,
  type EnrollmentRole,
  type RejectedRecord,
} from "@sis-sync/roster";
import type { OneRosterRecord } from "./oneroster-client";

/**
 * OneRoster 1.1 JSON (research §3.4) → the canonical model. Pure functions: each takes one raw
 * record (plus lookups for what a class references) and returns a record, a rejection with a
 * message for the run's error list, or `null` for records that are not of that kind (the district
 * org is not a school). `status: "tobedeleted"` maps to `deleted: true`, which full syncs treat
 * as absent.
 */
export type Mapped<T> = { record: T } | { rejected: RejectedRecord } | null;

export interface SessionInfo {
  title: string | null;
  startDate: string | null;
  endDate: string | null;
}

export interface ClassLookups {
  sessions: ReadonlyMap<string, SessionInfo>;
  courses: ReadonlyMap<string, string | null>;
}

const isDeleted = (raw: OneRosterRecord) => normalizeText(raw.status)?.toLowerCase() === "tobedeleted";

function reject(raw: OneRosterRecord, message: string): { rejected: RejectedRecord } {
  return { rejected: { externalId: normalizeText(raw.sourcedId), message, raw } };
}

/** A GUIDRef's sourcedId (`{ href, sourcedId, type }`); tolerates a bare id string. */
export function refId(ref: unknown): string | null {
  if (typeof ref === "string") return normalizeText(ref);
  if (ref && typeof ref === "object") return normalizeText((ref as { sourcedId?: unknown }).sourcedId);
  return null;
}

function refIds(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  return refs.map(refId).filter((id): id is string => id !== null);
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(normalizeText).filter((s): s is string => s !== null);
  // CSV-style comma lists occasionally leak into JSON from CSV-backed servers.
  const s = normalizeText(value);
  return s === null ? [] : s.split(",").map((p) => p.trim()).filter(Boolean);
}

export function isSchoolOrg(raw: OneRosterRecord): boolean {
  return normalizeText(raw.type)?.toLowerCase() === "school";
}

export function mapSchool(raw: OneRosterRecord): Mapped<CanonicalSchool> {
  // Orgs are read from /orgs: districts, departments and the like are not schools.
  if (!isSchoolOrg(raw)) return null;
  const externalId = normalizeText(raw.sourcedId);
  if (!externalId) return reject(raw, "org has no sourcedId");
  const name = normalizeName(raw.name);
  const deleted = isDeleted(raw);
  if (!name && !deleted) return reject(raw, "school has no name");
  const meta = raw.metadata && typeof raw.metadata === "object" ? (raw.metadata as Record<string, unknown>) : {};
  return {
    record: {
      externalId,
      deleted: deleted || undefined,
      name,
      schoolNumber: normalizeText(raw.identifier),
      ncesId: normalizeText(meta.ncesId ?? meta.NCESId ?? meta["nces_id"] ?? meta.ncesid),
      raw,
    },
  };
}

export function mapAcademicSession(raw: OneRosterRecord): [string, SessionInfo] | null {
  const id = normalizeText(raw.sourcedId);
  if (!id) return null;
  return [id, { title: normalizeText(raw.title), startDate: normalizeDate(raw.startDate), endDate: normalizeDate(raw.endDate) }];
}

export function mapClass(raw: OneRosterRecord, lookups: ClassLookups): Mapped<CanonicalClass> {
  const externalId = normalizeText(raw.sourcedId);
  if (!externalId) return reject(raw, "class has no sourcedId");
  const deleted = isDeleted(raw);
  const schoolExternalId = refId(raw.school);
  if (!schoolExternalId && !deleted) return reject(raw, "class has no school");
  const title = normalizeName(raw.title);
  if (!title && !deleted) return reject(raw, "class has no title");
  const termExternalId = refIds(raw.terms)[0] ?? null;
  const term = termExternalId ? lookups.sessions.get(termExternalId) : undefined;
  const courseExternalId = refId(raw.course);
  const subjects = stringList(raw.subjects);
  const periods = stringList(raw.periods);
  return {
    record: {
      externalId,
      deleted: deleted || undefined,
      schoolExternalId: schoolExternalId ?? "",
      title,
      classCode: normalizeText(raw.classCode),
      subject: subjects.length ? subjects.join(", ") : null,
      period: periods.length ? periods.join(",") : null,
      termExternalId,
      termName: term?.title ?? null,
      termStartDate: term?.startDate ?? null,
      termEndDate: term?.endDate ?? null,
      courseExternalId,
      courseTitle: courseExternalId ? (lookups.courses.get(courseExternalId) ?? null) : null,
      raw,
    },
  };
}

/**
 * `schoolIds`: the schools read in this run; a user's `orgs` often include the district org,
 * which is not a school. When unknown (empty set) every org is kept.
 */
export function mapUser(raw: OneRosterRecord, schoolIds: ReadonlySet<string>): Mapped<CanonicalUser> {
  const externalId = normalizeText(raw.sourcedId);
  if (!externalId) return reject(raw, "user has no sourcedId");
  const deleted = isDeleted(raw);
  // 1.1 has one `role`; 1.2 servers send `roles: [{ role, org, roleType: primary|secondary }]`.
  const rawRole = raw.role ?? primaryRole(raw.roles);
  const role = mapRole(rawRole);
  if (!role) return reject(raw, rawRole === undefined || rawRole === null || rawRole === "" ? "user has no role" : `user has an unknown role "${String(rawRole)}"`);
  const orgs = refIds(raw.orgs);
  const schools = schoolIds.size > 0 ? orgs.filter((id) => schoolIds.has(id)) : orgs;
  return {
    record: {
      externalId,
      deleted: deleted || undefined,
      role,
      givenName: normalizeName(raw.givenName),
      familyName: normalizeName(raw.familyName),
      email: normalizeEmail(raw.email),
      username: normalizeText(raw.username),
      // OneRoster `identifier` is the SIS's human-readable id: the student number for students.
      studentNumber: role === "student" ? normalizeText(raw.identifier) : null,
      grades: normalizeGrades(stringList(raw.grades)),
      schoolExternalIds: [...new Set(schools)],
      raw,
    },
  };
}

function primaryRole(roles: unknown): unknown {
  if (!Array.isArray(roles) || roles.length === 0) return undefined;
  const primary = roles.find((r) => r && typeof r === "object" && (r as { roleType?: unknown }).roleType === "primary") ?? roles[0];
  return primary && typeof primary === "object" ? (primary as { role?: unknown }).role : primary;
}

/** Enrollment roles (1.1: administrator | proctor | student | teacher); a proctor supervises like an aide. */
function enrollmentRole(value: unknown): EnrollmentRole | null {
  const s = normalizeText(value)?.toLowerCase();
  if (s === "proctor") return "aide";
  return mapEnrollmentRole(value);
}

export function mapEnrollment(raw: OneRosterRecord): Mapped<CanonicalEnrollment> {
  const externalId = normalizeText(raw.sourcedId);
  if (!externalId) return reject(raw, "enrollment has no sourcedId");
  const deleted = isDeleted(raw);
  const classExternalId = refId(raw.class);
  const userExternalId = refId(raw.user);
  if (!deleted && (!classExternalId || !userExternalId)) return reject(raw, `enrollment has no ${classExternalId ? "user" : "class"}`);
  const role = enrollmentRole(raw.role);
  if (!role && !deleted) return reject(raw, `enrollment has an unknown role "${String(raw.role ?? "")}"`);
  return {
    record: {
      externalId,
      deleted: deleted || undefined,
      classExternalId: classExternalId ?? "",
      userExternalId: userExternalId ?? "",
      role: role ?? "student",
      primary: normalizeBoolean(raw.primary),
      beginDate: normalizeDate(raw.beginDate),
      endDate: normalizeDate(raw.endDate),
      raw,
    },
  };
}
