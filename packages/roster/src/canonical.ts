/**
 * The canonical roster model: what every connector yields and what the engine loads.
 * Connectors map their SIS's shapes to these records; matching, diffing, soft deletes
 * and stats exist once, in the engine, on these types.
 */

export const ENTITY_KINDS = ["schools", "classes", "users", "enrollments"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** One role set for every SIS (OneRoster 1.1 roles; Clever's map onto them). */
export const ROSTER_ROLES = ["student", "teacher", "administrator", "aide", "guardian", "parent", "relative", "proctor"] as const;
export type RosterRole = (typeof ROSTER_ROLES)[number];

export const ENROLLMENT_ROLES = ["student", "teacher", "administrator", "aide"] as const;
export type EnrollmentRole = (typeof ENROLLMENT_ROLES)[number];

interface CanonicalBase {
  /** The SIS's own id (OneRoster sourcedId, Clever id). */
  externalId: string;
  /**
   * true when the source says this record is deleted (OneRoster `status: tobedeleted`,
   * a Clever `*.deleted` event). Full syncs treat such records as absent.
   */
  deleted?: boolean;
  /** The record exactly as the SIS sent it, kept in staging for debugging. */
  raw: unknown;
}

export interface CanonicalSchool extends CanonicalBase {
  name: string;
  schoolNumber: string | null;
  ncesId: string | null;
}

export interface CanonicalClass extends CanonicalBase {
  schoolExternalId: string;
  title: string;
  classCode: string | null;
  subject: string | null;
  period: string | null;
  termExternalId: string | null;
  termName: string | null;
  termStartDate: string | null; // YYYY-MM-DD
  termEndDate: string | null;
  courseExternalId: string | null;
  courseTitle: string | null;
}

export interface CanonicalUser extends CanonicalBase {
  role: RosterRole;
  givenName: string;
  familyName: string;
  /** As the SIS sent it (display); matching lower-cases it. */
  email: string | null;
  username: string | null;
  studentNumber: string | null;
  /** Normalised grades: "KG", "PK", "01".."13", "PS", "UG", "Other". */
  grades: string[];
  schoolExternalIds: string[];
}

export interface CanonicalEnrollment extends CanonicalBase {
  classExternalId: string;
  userExternalId: string;
  role: EnrollmentRole;
  primary: boolean;
  beginDate: string | null; // YYYY-MM-DD
  endDate: string | null;
}

export interface CanonicalRecordByKind {
  schools: CanonicalSchool;
  classes: CanonicalClass;
  users: CanonicalUser;
  enrollments: CanonicalEnrollment;
}

/** A record the connector could not map (bad row, missing field): staged as a record error. */
export interface RejectedRecord {
  externalId: string | null;
  message: string;
  raw: unknown;
}

/** One page of records of one kind, as read from the SIS. */
export type ExtractBatch = {
  [K in EntityKind]: { kind: K; records: CanonicalRecordByKind[K][]; rejected?: RejectedRecord[] };
}[EntityKind];
