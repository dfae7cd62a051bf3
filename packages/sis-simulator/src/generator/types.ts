/**
 * The simulator's own, source-neutral district records. Each peer maps them to its wire format
 * (Clever v3.0 JSON, OneRoster 1.1 JSON, OneRoster 1.1 CSV); ids are shared across peers.
 */

/** OneRoster / CEDS grade codes. */
export type GradeCode = "KG" | "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12";

export const SUBJECTS = ["english/language arts", "math", "science", "social studies", "language", "arts and music", "PE and health"] as const;
export type Subject = (typeof SUBJECTS)[number];

export interface DistrictParams {
  seed: number;
  schools: number;
  teachersPerSchool: number;
  studentsPerSchool: number;
  classesPerSchool: number;
  enrollmentsPerStudent: number;
}

export interface SimDistrictOrg {
  id: string;
  name: string;
  identifier: string;
  ncesId: string;
}

export interface SimSchool {
  id: string;
  name: string;
  schoolNumber: string;
  ncesId: string;
  grades: GradeCode[];
  principalName: string;
  principalEmail: string;
  phone: string;
  city: string;
  zip: string;
  modifiedDay: number;
}

export interface SimSession {
  id: string;
  title: string;
  type: "schoolYear" | "semester";
  startDate: string;
  endDate: string;
  /** The school year session a semester belongs to; null for the school year itself. */
  parentId: string | null;
  schoolYear: string;
  modifiedDay: number;
}

export interface SimCourse {
  id: string;
  title: string;
  courseCode: string;
  grade: GradeCode;
  subject: Subject;
  modifiedDay: number;
}

export interface SimClass {
  id: string;
  schoolId: string;
  title: string;
  classCode: string;
  subject: Subject;
  period: string;
  grade: GradeCode;
  termId: string;
  courseId: string;
  /** Primary teacher first; a second entry means the class is co-taught. */
  teacherIds: string[];
  studentIds: string[];
  modifiedDay: number;
}

export type SimRole = "student" | "teacher" | "administrator";

export interface SimUser {
  id: string;
  role: SimRole;
  givenName: string;
  middleName: string;
  familyName: string;
  /** Mixed case on purpose; null for young students, who have only a student number. */
  email: string | null;
  username: string;
  /** Students: the SIS student number (OneRoster `identifier`, Clever `student_number`). */
  studentNumber: string | null;
  /** Teachers and administrators: the staff number. */
  staffNumber: string | null;
  grade: GradeCode | null;
  /** Primary school first; empty for district administrators. */
  schoolIds: string[];
  /** Students only: date of birth, YYYY-MM-DD. */
  birthDate: string | null;
  modifiedDay: number;
}

export interface SimEnrollment {
  /** `${classId}:${userId}`: one enrollment per (class, user), the same id on every peer. */
  id: string;
  classId: string;
  schoolId: string;
  userId: string;
  role: "student" | "teacher";
  primary: boolean;
  modifiedDay: number;
}

/**
 * A collection readable by position without materialising it: peers page through it by
 * offset or cursor, CSV writers iterate it. Records are in ascending id order (except
 * enrollments, which come grouped by class in class order).
 */
export interface RecordSet<T extends { id: string }> {
  readonly count: number;
  at(index: number): T;
  /** Position of the record with this id, or -1. */
  indexOf(id: string): number;
  [Symbol.iterator](): Iterator<T>;
}

export type ExpectedKind = "schools" | "classes" | "users" | "enrollments";
export interface ExpectedEffect {
  created: number;
  updated: number;
  deactivated: number;
  unchanged: number;
}
export type ExpectedEffects = Record<ExpectedKind, ExpectedEffect>;
