import { createHash } from "node:crypto";
import type { CanonicalClass, CanonicalEnrollment, CanonicalSchool, CanonicalUser, EnrollmentRole, EntityKind, RosterRole } from "./canonical";
import {
  emailMatchKey,
  isRosterRole,
  mapEnrollmentRole,
  mapRole,
  normalizeBoolean,
  normalizeDate,
  normalizeEmail,
  normalizeGrades,
  normalizeName,
  normalizeText,
} from "./normalize";

/**
 * A canonical record made ready for staging: normalised fields, the content hash that decides
 * "updated" vs "unchanged", and a record error when it cannot be loaded at all.
 * Reference checks (unknown class in an enrollment) and duplicates need the whole export and
 * happen in SQL; everything decidable from one record happens here.
 */
export interface PreparedBase {
  externalId: string | null;
  deleted: boolean;
  error: string | null;
  hash: string;
}

export interface PreparedSchool extends PreparedBase {
  name: string;
  schoolNumber: string | null;
  ncesId: string | null;
}

export interface PreparedClass extends PreparedBase {
  schoolExternalId: string | null;
  title: string;
  classCode: string | null;
  subject: string | null;
  period: string | null;
  termExternalId: string | null;
  termName: string | null;
  termStartDate: string | null;
  termEndDate: string | null;
  courseExternalId: string | null;
  courseTitle: string | null;
}

export interface PreparedUser extends PreparedBase {
  role: RosterRole | null;
  givenName: string;
  familyName: string;
  email: string | null;
  emailKey: string | null;
  username: string | null;
  studentNumber: string | null;
  grades: string[];
  schoolExternalIds: string[];
}

export interface PreparedEnrollment extends PreparedBase {
  classExternalId: string | null;
  userExternalId: string | null;
  role: EnrollmentRole | null;
  primary: boolean;
  beginDate: string | null;
  endDate: string | null;
}

/**
 * md5 of the normalised fields in a fixed order (not of the raw JSON: a SIS re-ordering keys or
 * touching `dateLastModified` must not count as a change). Not a security hash, just a fingerprint.
 */
export function contentHash(fields: readonly unknown[]): string {
  return createHash("md5").update(JSON.stringify(fields)).digest("base64url");
}

function base(rec: { externalId: unknown; deleted?: boolean }): { externalId: string | null; deleted: boolean; error: string | null } {
  const externalId = normalizeText(rec.externalId);
  return { externalId, deleted: rec.deleted === true, error: externalId === null ? "Record has no external id" : null };
}

export function prepareSchool(rec: CanonicalSchool): PreparedSchool {
  const b = base(rec);
  const name = normalizeName(rec.name);
  const schoolNumber = normalizeText(rec.schoolNumber);
  const ncesId = normalizeText(rec.ncesId);
  const error = b.error ?? (name === "" && !b.deleted ? "School has no name" : null);
  return { ...b, error, name, schoolNumber, ncesId, hash: contentHash([name, schoolNumber, ncesId]) };
}

export function prepareClass(rec: CanonicalClass): PreparedClass {
  const b = base(rec);
  const classCode = normalizeText(rec.classCode);
  // OneRoster makes title required but some exports leave it blank; the code is the next best label.
  const title = normalizeName(rec.title) || classCode || "";
  const schoolExternalId = normalizeText(rec.schoolExternalId);
  const f = {
    schoolExternalId,
    title,
    classCode,
    subject: normalizeText(rec.subject),
    period: normalizeText(rec.period),
    termExternalId: normalizeText(rec.termExternalId),
    termName: normalizeText(rec.termName),
    termStartDate: normalizeDate(rec.termStartDate),
    termEndDate: normalizeDate(rec.termEndDate),
    courseExternalId: normalizeText(rec.courseExternalId),
    courseTitle: normalizeText(rec.courseTitle),
  };
  let error = b.error;
  if (!error && !b.deleted && schoolExternalId === null) error = "Class has no school";
  if (!error && !b.deleted && title === "") error = "Class has no title";
  return { ...b, error, ...f, hash: contentHash(Object.values(f)) };
}

export function prepareUser(rec: CanonicalUser): PreparedUser {
  const b = base(rec);
  const role = isRosterRole(rec.role) ? rec.role : mapRole(rec.role);
  const email = normalizeEmail(rec.email);
  const f = {
    role,
    givenName: normalizeName(rec.givenName),
    familyName: normalizeName(rec.familyName),
    email,
    username: normalizeText(rec.username),
    studentNumber: normalizeText(rec.studentNumber),
    grades: normalizeGrades(rec.grades),
  };
  const schoolExternalIds = [...new Set((rec.schoolExternalIds ?? []).map(normalizeText).filter((s): s is string => s !== null))].sort();
  let error = b.error;
  if (!error && !b.deleted && role === null) error = `Unknown role "${String(rec.role)}"`;
  return { ...b, error, ...f, emailKey: emailMatchKey(email), schoolExternalIds, hash: contentHash(Object.values(f)) };
}

export function prepareEnrollment(rec: CanonicalEnrollment): PreparedEnrollment {
  const b = base(rec);
  const role = mapEnrollmentRole(rec.role);
  const f = {
    classExternalId: normalizeText(rec.classExternalId),
    userExternalId: normalizeText(rec.userExternalId),
    role,
    primary: normalizeBoolean(rec.primary),
    beginDate: normalizeDate(rec.beginDate),
    endDate: normalizeDate(rec.endDate),
  };
  let error = b.error;
  if (!error && !b.deleted && f.classExternalId === null) error = "Enrollment has no class";
  if (!error && !b.deleted && f.userExternalId === null) error = "Enrollment has no user";
  if (!error && !b.deleted && role === null) error = `Unknown enrollment role "${String(rec.role)}"`;
  return { ...b, error, ...f, hash: contentHash(Object.values(f)) };
}

export interface PreparedByKind {
  schools: PreparedSchool;
  classes: PreparedClass;
  users: PreparedUser;
  enrollments: PreparedEnrollment;
}

/** The singular entity type written to a run's record errors (`/runs/:id/errors`). */
export const ENTITY_TYPE_BY_KIND: Record<EntityKind, string> = {
  schools: "school",
  classes: "class",
  users: "user",
  enrollments: "enrollment",
};
