import * as crypto from "node:crypto";
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
  return md5Base64Url(JSON.stringify(fields));
}

// crypto.hash (Node >= 20.12) is the one-shot form: half the cost of createHash per record.
const oneShotHash = (crypto as { hash?: (alg: string, data: string, enc: "base64url") => string }).hash;
const md5Base64Url: (s: string) => string = oneShotHash
  ? (s) => oneShotHash("md5", s, "base64url")
  : (s) => crypto.createHash("md5").update(s).digest("base64url");

function base(rec: { externalId: unknown; deleted?: boolean }): { externalId: string | null; deleted: boolean; error: string | null } {
  const externalId = normalizeText(rec.externalId);
  return { externalId, deleted: rec.deleted === true, error: externalId === null ? "Record has no external id" : null };
}

export function prepareSchool(rec: CanonicalSchool): PreparedSchool {
  const { externalId, deleted, error: idError } = base(rec);
  const name = normalizeName(rec.name);
  const schoolNumber = normalizeText(rec.schoolNumber);
  const ncesId = normalizeText(rec.ncesId);
  const error = idError ?? (name === "" && !deleted ? "School has no name" : null);
  return { externalId, deleted, error, name, schoolNumber, ncesId, hash: contentHash([name, schoolNumber, ncesId]) };
}

// The preparers build each result as one object literal (no spreads, no Object.values): they run
// for every record of every sync, and spreads cost more than the normalisation itself (bench, #4).
// Each hash lists the fields in the declared order; changing that order changes every hash.

export function prepareClass(rec: CanonicalClass): PreparedClass {
  const { externalId, deleted, error: idError } = base(rec);
  const classCode = normalizeText(rec.classCode);
  // OneRoster makes title required but some exports leave it blank; the code is the next best label.
  const title = normalizeName(rec.title) || classCode || "";
  const schoolExternalId = normalizeText(rec.schoolExternalId);
  const subject = normalizeText(rec.subject);
  const period = normalizeText(rec.period);
  const termExternalId = normalizeText(rec.termExternalId);
  const termName = normalizeText(rec.termName);
  const termStartDate = normalizeDate(rec.termStartDate);
  const termEndDate = normalizeDate(rec.termEndDate);
  const courseExternalId = normalizeText(rec.courseExternalId);
  const courseTitle = normalizeText(rec.courseTitle);
  let error = idError;
  if (!error && !deleted && schoolExternalId === null) error = "Class has no school";
  if (!error && !deleted && title === "") error = "Class has no title";
  const hash = contentHash([schoolExternalId, title, classCode, subject, period, termExternalId, termName, termStartDate, termEndDate, courseExternalId, courseTitle]);
  return { externalId, deleted, error, schoolExternalId, title, classCode, subject, period, termExternalId, termName, termStartDate, termEndDate, courseExternalId, courseTitle, hash };
}

export function prepareUser(rec: CanonicalUser): PreparedUser {
  const { externalId, deleted, error: idError } = base(rec);
  const role = isRosterRole(rec.role) ? rec.role : mapRole(rec.role);
  const email = normalizeEmail(rec.email);
  const givenName = normalizeName(rec.givenName);
  const familyName = normalizeName(rec.familyName);
  const username = normalizeText(rec.username);
  const studentNumber = normalizeText(rec.studentNumber);
  const grades = normalizeGrades(rec.grades);
  const schoolExternalIds = normalizeIdList(rec.schoolExternalIds);
  let error = idError;
  if (!error && !deleted && role === null) error = `Unknown role "${String(rec.role)}"`;
  const hash = contentHash([role, givenName, familyName, email, username, studentNumber, grades]);
  return { externalId, deleted, error, role, givenName, familyName, email, username, studentNumber, grades, emailKey: emailMatchKey(email), schoolExternalIds, hash };
}

/** Distinct, sorted, blank-free ids (a user's schools). */
function normalizeIdList(ids: readonly unknown[] | null | undefined): string[] {
  if (!ids || ids.length === 0) return [];
  if (ids.length === 1) {
    const one = normalizeText(ids[0]);
    return one === null ? [] : [one];
  }
  return [...new Set(ids.map(normalizeText).filter((s): s is string => s !== null))].sort();
}

export function prepareEnrollment(rec: CanonicalEnrollment): PreparedEnrollment {
  const { externalId, deleted, error: idError } = base(rec);
  const role = mapEnrollmentRole(rec.role);
  const classExternalId = normalizeText(rec.classExternalId);
  const userExternalId = normalizeText(rec.userExternalId);
  const primary = normalizeBoolean(rec.primary);
  const beginDate = normalizeDate(rec.beginDate);
  const endDate = normalizeDate(rec.endDate);
  let error = idError;
  if (!error && !deleted && classExternalId === null) error = "Enrollment has no class";
  if (!error && !deleted && userExternalId === null) error = "Enrollment has no user";
  if (!error && !deleted && role === null) error = `Unknown enrollment role "${String(rec.role)}"`;
  const hash = contentHash([classExternalId, userExternalId, role, primary, beginDate, endDate]);
  return { externalId, deleted, error, classExternalId, userExternalId, role, primary, beginDate, endDate, hash };
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
