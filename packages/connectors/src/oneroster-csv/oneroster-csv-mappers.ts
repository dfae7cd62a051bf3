import {
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
import type { CsvRow } from "./csv-reader";

/** A mapped record, a record the sync counts as an error, or a row that is not synced at all (a district org). */
export type MapOutcome<T> = { record: T } | { rejected: RejectedRecord } | { skipped: true };

/** The academicSessions / courses a class points at, loaded before classes are read. */
export interface SessionInfo {
  title: string;
  startDate: string | null;
  endDate: string | null;
}
export interface CourseInfo {
  title: string;
}

/** Lookups built from the small files, and the org ids that are not schools. */
export interface MapContext {
  sessions: Map<string, SessionInfo>;
  courses: Map<string, CourseInfo>;
  /** District/department orgs: dropped from users' orgSourcedIds (schoolExternalIds holds schools). */
  nonSchoolOrgIds: Set<string>;
}

/** List fields are comma-separated inside one quoted field (§4.1); blanks are dropped. */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function reject(fileName: string, row: CsvRow, message: string, raw: unknown): { rejected: RejectedRecord } {
  return { rejected: { externalId: normalizeText(row.values.sourcedId), message: `${fileName} line ${row.line}: ${message}`, raw } };
}

/**
 * `tobedeleted` is OneRoster 1.1's deletion; `inactive` is the 1.0 spelling still seen in older
 * exports (§3.4) and means the same to a consumer. Blank is normal in bulk files (§4.4).
 */
function readStatus(fileName: string, row: CsvRow, raw: unknown): { deleted: boolean } | { rejected: RejectedRecord } {
  const status = (row.values.status ?? "").trim().toLowerCase();
  if (status === "" || status === "active") return { deleted: false };
  if (status === "tobedeleted" || status === "inactive") return { deleted: true };
  return reject(fileName, row, `status '${row.values.status}' is not active or tobedeleted`, raw);
}

/** The row for staging; `password` never leaves the connector (the reader drops it already; this is the backstop). */
function rawOf(row: CsvRow): Record<string, string> {
  if (!("password" in row.values)) return row.values;
  const { password: _password, ...rest } = row.values;
  return rest;
}

function required(row: CsvRow, columns: string[]): string | null {
  const missing = columns.filter((c) => normalizeText(row.values[c]) === null);
  return missing.length === 0 ? null : `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} blank`;
}

export function mapOrgRow(row: CsvRow, ctx: MapContext, fileName = "orgs.csv"): MapOutcome<CanonicalSchool> {
  const raw = rawOf(row);
  const status = readStatus(fileName, row, raw);
  if ("rejected" in status) return status;
  const externalId = normalizeText(row.values.sourcedId);
  if (externalId === null) return reject(fileName, row, "sourcedId is blank", raw);
  const type = (row.values.type ?? "").trim();
  if (type !== "school") {
    ctx.nonSchoolOrgIds.add(externalId);
    return { skipped: true };
  }
  const name = normalizeName(row.values.name);
  if (name === "" && !status.deleted) return reject(fileName, row, "name is blank", raw);
  return {
    record: {
      externalId,
      ...(status.deleted ? { deleted: true } : {}),
      raw,
      name,
      schoolNumber: normalizeText(row.values.identifier),
      // OneRoster 1.1 has no NCES field; some exporters put it in a metadata column.
      ncesId: normalizeText(row.values["metadata.ncesId"] ?? row.values["metadata.nces_id"]),
    },
  };
}

export function mapSessionRow(row: CsvRow): [string, SessionInfo] | null {
  const id = normalizeText(row.values.sourcedId);
  if (id === null) return null;
  return [id, { title: normalizeName(row.values.title), startDate: normalizeDate(row.values.startDate), endDate: normalizeDate(row.values.endDate) }];
}

export function mapCourseRow(row: CsvRow): [string, CourseInfo] | null {
  const id = normalizeText(row.values.sourcedId);
  if (id === null) return null;
  return [id, { title: normalizeName(row.values.title) }];
}

export function mapClassRow(row: CsvRow, ctx: MapContext, fileName = "classes.csv"): MapOutcome<CanonicalClass> {
  const raw = rawOf(row);
  const status = readStatus(fileName, row, raw);
  if ("rejected" in status) return status;
  const externalId = normalizeText(row.values.sourcedId);
  if (externalId === null) return reject(fileName, row, "sourcedId is blank", raw);
  if (!status.deleted) {
    const missing = required(row, ["title", "schoolSourcedId"]);
    if (missing) return reject(fileName, row, missing, raw);
  }
  // A year-long class lists several terms; the first is the one shown.
  const termExternalId = splitList(row.values.termSourcedIds)[0] ?? null;
  const term = termExternalId ? ctx.sessions.get(termExternalId) : undefined;
  const courseExternalId = normalizeText(row.values.courseSourcedId);
  const course = courseExternalId ? ctx.courses.get(courseExternalId) : undefined;
  const periods = splitList(row.values.periods);
  return {
    record: {
      externalId,
      ...(status.deleted ? { deleted: true } : {}),
      raw,
      schoolExternalId: normalizeText(row.values.schoolSourcedId) ?? "",
      title: normalizeName(row.values.title),
      classCode: normalizeText(row.values.classCode),
      subject: splitList(row.values.subjects)[0] ?? null,
      period: periods.length > 0 ? periods.join(", ") : null,
      termExternalId,
      termName: term?.title || null,
      termStartDate: term?.startDate ?? null,
      termEndDate: term?.endDate ?? null,
      courseExternalId,
      courseTitle: course?.title || null,
    },
  };
}

export function mapUserRow(row: CsvRow, ctx: MapContext, fileName = "users.csv"): MapOutcome<CanonicalUser> {
  const raw = rawOf(row);
  const status = readStatus(fileName, row, raw);
  if ("rejected" in status) return status;
  const externalId = normalizeText(row.values.sourcedId);
  if (externalId === null) return reject(fileName, row, "sourcedId is blank", raw);
  const role = mapRole(row.values.role);
  if (role === null) {
    const value = normalizeText(row.values.role);
    return reject(fileName, row, value === null ? "role is blank" : `role '${value}' is not a OneRoster 1.1 role`, raw);
  }
  if (!status.deleted) {
    const missing = required(row, ["givenName", "familyName"]);
    if (missing) return reject(fileName, row, missing, raw);
  }
  return {
    record: {
      externalId,
      ...(status.deleted ? { deleted: true } : {}),
      raw,
      role,
      givenName: normalizeName(row.values.givenName),
      familyName: normalizeName(row.values.familyName),
      email: normalizeEmail(row.values.email),
      username: normalizeText(row.values.username),
      // `identifier` is the SIS's own number: for students that is the student number.
      studentNumber: role === "student" ? normalizeText(row.values.identifier) : null,
      grades: normalizeGrades(splitList(row.values.grades)),
      schoolExternalIds: splitList(row.values.orgSourcedIds).filter((id) => !ctx.nonSchoolOrgIds.has(id)),
    },
  };
}

/** 1.1 enrollment roles are administrator|proctor|student|teacher; a proctor supervises like an aide. */
const ENROLLMENT_ROLE: Record<string, EnrollmentRole> = { student: "student", teacher: "teacher", administrator: "administrator", proctor: "aide", aide: "aide" };

export function mapEnrollmentRow(row: CsvRow, fileName = "enrollments.csv"): MapOutcome<CanonicalEnrollment> {
  const raw = rawOf(row);
  const status = readStatus(fileName, row, raw);
  if ("rejected" in status) return status;
  const externalId = normalizeText(row.values.sourcedId);
  if (externalId === null) return reject(fileName, row, "sourcedId is blank", raw);
  const missing = required(row, ["classSourcedId", "userSourcedId"]);
  if (missing) return reject(fileName, row, missing, raw);
  const roleText = (row.values.role ?? "").trim().toLowerCase();
  const role = ENROLLMENT_ROLE[roleText];
  if (!role) return reject(fileName, row, roleText === "" ? "role is blank" : `role '${row.values.role.trim()}' is not a OneRoster 1.1 enrollment role`, raw);
  const primaryText = (row.values.primary ?? "").trim().toLowerCase();
  if (primaryText !== "" && primaryText !== "true" && primaryText !== "false") {
    return reject(fileName, row, `primary '${row.values.primary}' is not true or false`, raw);
  }
  const dates: Record<"beginDate" | "endDate", string | null> = { beginDate: null, endDate: null };
  for (const key of ["beginDate", "endDate"] as const) {
    const text = normalizeText(row.values[key]);
    if (text === null) continue;
    const date = normalizeDate(text);
    if (date === null) return reject(fileName, row, `${key} '${text}' is not a YYYY-MM-DD date`, raw);
    dates[key] = date;
  }
  return {
    record: {
      externalId,
      ...(status.deleted ? { deleted: true } : {}),
      raw,
      classExternalId: normalizeText(row.values.classSourcedId) ?? "",
      userExternalId: normalizeText(row.values.userSourcedId) ?? "",
      role,
      primary: normalizeBoolean(primaryText),
      ...dates,
    },
  };
}
