import {
  normalizeDate,
  normalizeEmail,
  normalizeGrade,
  normalizeName,
  normalizeText,
  type CanonicalClass,
  type CanonicalEnrollment,
  type CanonicalSchool,
  type CanonicalUser,
  type RejectedRecord,
  type RosterRole,
} from "@sis-sync/roster";
import type { CleverCourse, CleverSchool, CleverSection, CleverTerm, CleverUser } from "./clever-types";

/** A mapped record, a record the sync should count as an error, or one it does not sync at all. */
export type MapOutcome<T> = { record: T } | { rejected: RejectedRecord } | { skipped: string };

/**
 * Clever's GRADE enum (v3.0.yml: InfantToddler, Preschool, PreKindergarten,
 * TransitionalKindergarten, Kindergarten, "1".."13", PostGraduate, Ungraded, Other, "") →
 * CEDS codes through the shared normaliser: "KG", "PK", "01".."13", "TK", "IT", "PR", "PS",
 * "UG", "Other"; blank → no grade.
 */
export function normaliseCleverGrade(grade: string | null | undefined): string | null {
  return normalizeGrade(grade);
}

/** Clever dates are `YYYY-MM-DD`, ISO datetimes, or (student `dob`) `M/D/YYYY`: keep the calendar date. */
export function toIsoDate(value: string | null | undefined): string | null {
  const v = normalizeText(value);
  if (v === null) return null;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (us) return normalizeDate(`${us[3]}-${us[1].padStart(2, "0")}-${us[2].padStart(2, "0")}`);
  return normalizeDate(v);
}

const text = normalizeText;

function missingId(raw: unknown, what: string): MapOutcome<never> | null {
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id === "string" && id.trim() !== "") return null;
  return { rejected: { externalId: null, message: `Clever ${what} without an id`, raw } };
}

export function mapCleverSchool(school: CleverSchool): MapOutcome<CanonicalSchool> {
  const bad = missingId(school, "school");
  if (bad) return bad;
  const name = normalizeName(school.name);
  if (!name) return { rejected: { externalId: school.id, message: "Clever school has no name", raw: school } };
  return {
    record: {
      externalId: school.id,
      name,
      // Clever's `school_number` is required in v3.0 but blank in some SIS feeds; `sis_id` is the same number there.
      schoolNumber: text(school.school_number) ?? text(school.sis_id),
      ncesId: text(school.nces_id),
      raw: school,
    },
  };
}

export interface CleverLookups {
  terms: ReadonlyMap<string, CleverTerm>;
  courses: ReadonlyMap<string, CleverCourse>;
}

export function mapCleverSection(section: CleverSection, lookups: CleverLookups): MapOutcome<CanonicalClass> {
  const bad = missingId(section, "section");
  if (bad) return bad;
  const schoolId = text(section.school);
  if (!schoolId) return { rejected: { externalId: section.id, message: "Clever section has no school", raw: section } };
  const termId = text(section.term_id);
  const courseId = text(section.course);
  const term = termId ? lookups.terms.get(termId) : undefined;
  const course = courseId ? lookups.courses.get(courseId) : undefined;
  // Section names are not unique and may be blank (Clever's sync guidance): fall back to the numbers.
  const title = normalizeName(section.name) || (text(section.section_number) ?? text(section.sis_id) ?? section.id);
  return {
    record: {
      externalId: section.id,
      schoolExternalId: schoolId,
      title,
      classCode: text(section.sis_id) ?? text(section.section_number),
      subject: text(section.subject),
      period: text(section.period),
      termExternalId: termId,
      termName: text(term?.name),
      termStartDate: toIsoDate(term?.start_date),
      termEndDate: toIsoDate(term?.end_date),
      courseExternalId: courseId,
      courseTitle: text(course?.name),
      raw: section,
    },
  };
}

/**
 * Clever users can hold several roles at once (a teacher who is also staff or a district
 * admin); `student` and `contact` are never combined with others. The canonical user has one
 * role, so we take the one that carries the most roster meaning: student > teacher >
 * district_admin > staff. Both admin kinds map to `administrator`. Contacts are not synced.
 */
export const CLEVER_ROLE_PRECEDENCE = ["student", "teacher", "district_admin", "staff"] as const;
export type CleverRosterRole = (typeof CLEVER_ROLE_PRECEDENCE)[number];

const ROLE_MAP: Record<CleverRosterRole, RosterRole> = {
  student: "student",
  teacher: "teacher",
  district_admin: "administrator",
  staff: "administrator",
};

export function primaryCleverRole(user: CleverUser): CleverRosterRole | null {
  const roles = user.roles ?? {};
  return CLEVER_ROLE_PRECEDENCE.find((r) => roles[r] != null) ?? null;
}

function schoolsOf(role: { school?: string | null; schools?: string[] | null } | null | undefined): string[] {
  if (!role) return [];
  const primary = text(role.school);
  return [...(primary ? [primary] : []), ...(role.schools ?? [])];
}

export function mapCleverUser(user: CleverUser): MapOutcome<CanonicalUser> {
  const bad = missingId(user, "user");
  if (bad) return bad;
  const picked = primaryCleverRole(user);
  if (!picked) {
    const held = Object.keys(user.roles ?? {}).filter((k) => (user.roles as Record<string, unknown>)[k] != null);
    return { skipped: held.length ? `roles ${held.join(", ")} are not synced` : "user has no role" };
  }
  const roles = user.roles ?? {};
  const student = roles.student ?? null;
  const teacher = roles.teacher ?? null;
  const staff = roles.staff ?? null;

  // The picked role's schools first (its primary school leads), then any other role's: a
  // teacher who is also staff at another school belongs to both.
  const ordered =
    picked === "student"
      ? [schoolsOf(student)]
      : picked === "teacher"
        ? [schoolsOf(teacher), schoolsOf(staff)]
        : [schoolsOf(staff), schoolsOf(teacher)];
  const schoolExternalIds = [...new Set(ordered.flat().map((s) => s.trim()).filter((s) => s !== ""))];

  const grade = student ? normaliseCleverGrade(student.grade) : null;
  const credentialsOrder = picked === "staff" || picked === "district_admin" ? [staff, teacher] : [student ?? teacher, staff];
  const username = credentialsOrder.map((r) => text(r?.credentials?.district_username)).find((u) => u != null) ?? null;

  return {
    record: {
      externalId: user.id,
      role: ROLE_MAP[picked],
      givenName: normalizeName(user.name?.first),
      familyName: normalizeName(user.name?.last),
      email: normalizeEmail(user.email),
      username,
      studentNumber: student ? text(student.student_number) : null,
      grades: grade ? [grade] : [],
      schoolExternalIds,
      raw: user,
    },
  };
}

/**
 * Clever has no enrollment objects: a section lists its `students` and `teachers`, and
 * `teacher` names the primary one. One enrollment per (section, user), id
 * `${sectionId}:${userId}`; a user listed as both teacher and student is enrolled as teacher.
 */
export function deriveCleverEnrollments(section: CleverSection): CanonicalEnrollment[] {
  if (typeof section.id !== "string" || section.id === "") return [];
  const out: CanonicalEnrollment[] = [];
  const seen = new Set<string>();
  const primaryTeacher = text(section.teacher);
  const add = (userId: string, role: "teacher" | "student", primary: boolean) => {
    const id = userId.trim();
    if (id === "" || seen.has(id)) return;
    seen.add(id);
    out.push({
      externalId: `${section.id}:${id}`,
      classExternalId: section.id,
      userExternalId: id,
      role,
      primary,
      beginDate: null,
      endDate: null,
      raw: { section: section.id, user: id, role, primary },
    });
  };
  const teachers = [...(section.teachers ?? [])];
  // The primary teacher is normally also in `teachers`; enrol them even when a feed forgets to.
  if (primaryTeacher && !teachers.includes(primaryTeacher)) teachers.unshift(primaryTeacher);
  for (const t of teachers) if (typeof t === "string") add(t, "teacher", t.trim() === primaryTeacher);
  for (const s of section.students ?? []) if (typeof s === "string") add(s, "student", false);
  return out;
}
