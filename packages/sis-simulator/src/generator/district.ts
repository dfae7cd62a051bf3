/**
 * A district on one export day: the day-0 structure (computed on demand) plus the
 * changes `mutate` layered on top (kept in memory; proportional to the changes only).
 */
import { dayDate, makeId, parseId, seedTag, ID_KINDS, type IdKind } from "./ids";
import { EnrollmentSet } from "./enrollment-set";
import { FAMILY_NAMES, GIVEN_NAMES, MIDDLE_INITIALS, emailSafe } from "./names";
import { hash32, pickBy } from "./random";
import { ArraySet, ConcatSet, LayeredSet } from "./record-set";
import { Structure, gradeIndex, schoolGrades } from "./structure";
import {
  SUBJECTS,
  type DistrictParams,
  type GradeCode,
  type RecordSet,
  type SimClass,
  type SimCourse,
  type SimDistrictOrg,
  type SimSchool,
  type SimSession,
  type SimUser,
  type Subject,
} from "./types";

export interface AddedStudent {
  ordinal: number;
  day: number;
  school: number;
  grade: GradeCode;
  givenName: string;
  middleName: string;
  familyName: string;
  email: string | null;
}

export interface AddedClass {
  ordinal: number;
  day: number;
  school: number;
  grade: GradeCode;
  subject: Subject;
  section: number;
  term: number;
  title: string;
  teachers: number[];
  students: number[];
}

export interface UserPatch {
  givenName?: string;
  familyName?: string;
  email?: string | null;
  day: number;
}

export interface ClassPatch {
  title?: string;
  titleDay?: number;
  /** Replaces the teacher list (a change of primary teacher). */
  teachers?: number[];
  teachersDay?: number;
  removedStudents: Set<number>;
  /** Student ordinal → day the student joined. */
  addedStudents: Map<number, number>;
}

/** Everything that differs from day 0. Treated as immutable once a District is built on it. */
export interface DistrictState {
  params: DistrictParams;
  day: number;
  removedStudents: number[];
  removedStudentSet: Set<number>;
  addedStudents: Map<number, AddedStudent>;
  addedStudentOrdinals: number[];
  userPatches: Map<string, UserPatch>;
  removedClasses: number[];
  removedClassSet: Set<number>;
  addedClasses: Map<number, AddedClass>;
  addedClassOrdinals: number[];
  classPatches: Map<number, ClassPatch>;
  /** Class ordinals a student was added to after day 0 (a hint; membership is checked on the class). */
  studentExtraClasses: Map<number, Set<number>>;
  nextStudentOrdinal: number;
  nextClassOrdinal: number;
}

export interface District {
  readonly params: DistrictParams;
  /** Export day: 0 for generateDistrict, +1 per mutate. */
  readonly day: number;
  /** The export's calendar date, YYYY-MM-DD. */
  readonly date: string;
  readonly org: SimDistrictOrg;
  readonly schools: RecordSet<SimSchool>;
  /** The school year and its two semesters. */
  readonly sessions: RecordSet<SimSession>;
  /** The semesters only (Clever terms, OneRoster /terms). */
  readonly terms: RecordSet<SimSession>;
  readonly courses: RecordSet<SimCourse>;
  readonly classes: RecordSet<SimClass>;
  /** Teachers, then administrators, then students. */
  readonly users: RecordSet<SimUser>;
  readonly students: RecordSet<SimUser>;
  readonly teachers: RecordSet<SimUser>;
  readonly administrators: RecordSet<SimUser>;
  readonly enrollments: EnrollmentSet;
}

export type DistrictSize = "tiny" | "small" | "medium" | "large";

/** Size presets; add a seed: `generateDistrict({ ...DISTRICT_SIZES.small, seed: 1 })`. */
export const DISTRICT_SIZES: Record<DistrictSize, Omit<DistrictParams, "seed">> = {
  // 2 schools, 31 users, 8 classes: small enough to read every record in a test.
  tiny: { schools: 2, teachersPerSchool: 3, studentsPerSchool: 12, classesPerSchool: 4, enrollmentsPerStudent: 2 },
  // ≈ 10k users, 480 classes, 38k enrollments.
  small: { schools: 10, teachersPerSchool: 40, studentsPerSchool: 960, classesPerSchool: 48, enrollmentsPerStudent: 4 },
  // ≈ 100k users, 12k classes, 585k enrollments.
  medium: { schools: 50, teachersPerSchool: 100, studentsPerSchool: 1900, classesPerSchool: 240, enrollmentsPerStudent: 6 },
  // ≈ 1M users, 40k classes, 5M enrollments.
  large: { schools: 400, teachersPerSchool: 50, studentsPerSchool: 2450, classesPerSchool: 100, enrollmentsPerStudent: 5 },
};

const DISTRICT_NAMES = ["Riverside", "Maple Valley", "Lakeshore", "Cedar Ridge", "Pinecrest", "Harbor View", "Sierra Vista", "Oak Hollow"];
const SCHOOL_KINDS = ["Elementary School", "Middle School", "High School"];
const SUBJECT_TITLES: Record<Subject, [string, string]> = {
  "english/language arts": ["English Language Arts", "ELA"],
  math: ["Mathematics", "MATH"],
  science: ["Science", "SCI"],
  "social studies": ["Social Studies", "SS"],
  language: ["Spanish", "SPAN"],
  "arts and music": ["Art & Music", "ART"],
  "PE and health": ["Physical Education", "PE"],
};
const GRADE_COUNT = 13;

const states = new WeakMap<District, DistrictState>();

export function stateOf(district: District): DistrictState {
  const state = states.get(district);
  if (!state) throw new TypeError("not a district made by generateDistrict or mutate");
  return state;
}

export function generateDistrict(params: DistrictParams): District {
  const structure = new Structure(params);
  return buildDistrict({
    params: { ...params },
    day: 0,
    removedStudents: [],
    removedStudentSet: new Set(),
    addedStudents: new Map(),
    addedStudentOrdinals: [],
    userPatches: new Map(),
    removedClasses: [],
    removedClassSet: new Set(),
    addedClasses: new Map(),
    addedClassOrdinals: [],
    classPatches: new Map(),
    studentExtraClasses: new Map(),
    nextStudentOrdinal: structure.studentCount,
    nextClassOrdinal: structure.classCount,
  });
}

/** Mixed-case styles for email local parts: lower, Capitalised, first letter upper. */
function styleEmail(parts: string[], style: number): string {
  if (style === 0) return parts.join(".").toLowerCase();
  if (style === 1) return parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join(".");
  const joined = parts.join("").toLowerCase();
  return joined.charAt(0).toUpperCase() + joined.slice(1);
}

/** Grades 06 and up have district email; younger students have only a student number. */
export function gradeHasEmail(grade: GradeCode): boolean {
  return gradeIndex(grade) >= 6;
}

/** Builders shared by the district and by mutate (which needs fresh names and emails). */
export class DistrictNaming {
  readonly tag: number;
  readonly domain: string;
  readonly districtName: string;

  constructor(readonly seed: number) {
    this.tag = seedTag(seed);
    const town = pickBy(DISTRICT_NAMES, seed, 0xd1);
    this.districtName = `${town} Unified School District`;
    this.domain = `${town.toLowerCase().replace(/ /g, "")}.k12.example.org`;
  }

  id(kind: IdKind, day: number, ordinal: number): string {
    return makeId(kind, day, ordinal, this.tag);
  }

  ordinalOf(id: string, kind: IdKind): number | null {
    const parsed = parseId(id);
    return parsed && parsed.tag === this.tag && parsed.kind === ID_KINDS[kind] ? parsed.ordinal : null;
  }

  person(kind: number, ordinal: number, salt = 0): { givenName: string; middleName: string; familyName: string } {
    return {
      givenName: pickBy(GIVEN_NAMES, this.seed, kind, ordinal, 1, salt),
      middleName: pickBy(MIDDLE_INITIALS, this.seed, kind, ordinal, 2),
      familyName: pickBy(FAMILY_NAMES, this.seed, kind, ordinal, 3, salt),
    };
  }

  studentNumber(ordinal: number): string {
    return String(100000 + ordinal);
  }

  studentEmail(givenName: string, familyName: string, ordinal: number, style: number): string {
    return `${styleEmail([emailSafe(givenName), emailSafe(familyName) + this.studentNumber(ordinal)], style)}@students.${this.domain}`;
  }

  staffEmail(givenName: string, familyName: string, number: string, style: number): string {
    return `${styleEmail([emailSafe(givenName), emailSafe(familyName) + number], style)}@${this.domain}`;
  }

  emailStyle(kind: number, ordinal: number): number {
    return hash32(this.seed, kind, ordinal, 4) % 3;
  }
}

function courseIndexOf(grade: GradeCode, subject: Subject): number {
  return gradeIndex(grade) * SUBJECTS.length + SUBJECTS.indexOf(subject);
}

export function classTitle(grade: GradeCode, subject: Subject, section: number): string {
  const gradeLabel = grade === "KG" ? "K" : String(Number(grade));
  return `${SUBJECT_TITLES[subject][0]} ${gradeLabel} (Period ${1 + (section % 8)})`;
}

export function buildDistrict(state: DistrictState): District {
  const { params, day } = state;
  const structure = new Structure(params);
  const naming = new DistrictNaming(params.seed);
  const id = (kind: IdKind, ordinal: number, createdDay = 0) => naming.id(kind, createdDay, ordinal);
  const studentDay = (ordinal: number) => state.addedStudents.get(ordinal)?.day ?? 0;
  const classDay = (ordinal: number) => state.addedClasses.get(ordinal)?.day ?? 0;
  const studentId = (ordinal: number) => id("student", ordinal, studentDay(ordinal));
  const teacherId = (ordinal: number) => id("teacher", ordinal);
  const schoolId = (index: number) => id("school", index);
  const sessionId = (index: number) => id("session", index);

  const org: SimDistrictOrg = {
    id: id("district", 0),
    name: naming.districtName,
    identifier: `D${String(hash32(params.seed, 0xd2) % 1_000_000).padStart(6, "0")}`,
    ncesId: String(600000 + (hash32(params.seed, 0xd3) % 99999)).padStart(7, "0"),
  };

  const schoolRecords: SimSchool[] = [];
  for (let k = 0; k < params.schools; k++) {
    const principal = naming.person(ID_KINDS.school, k);
    const grades = schoolGrades(params, k);
    schoolRecords.push({
      id: schoolId(k),
      name: `${pickBy(FAMILY_NAMES, params.seed, 0x5c, k)} ${params.schools === 1 ? "K-12 School" : SCHOOL_KINDS[k % 3]} #${k + 1}`,
      schoolNumber: String(100 + k),
      ncesId: `${org.ncesId}${String(k).padStart(5, "0")}`,
      grades,
      principalName: `${principal.givenName} ${principal.familyName}`,
      principalEmail: naming.staffEmail(principal.givenName, principal.familyName, `p${k}`, 0),
      phone: `555-${String(1000 + k).slice(-4)}`,
      city: pickBy(DISTRICT_NAMES, params.seed, 0xd1),
      zip: String(90000 + (k % 9999)),
      modifiedDay: 0,
    });
  }

  const yearStart = "2026-08-17";
  const sessionRecords: SimSession[] = [
    { id: sessionId(0), title: "2026-2027", type: "schoolYear", startDate: yearStart, endDate: "2027-06-11", parentId: null, schoolYear: "2027", modifiedDay: 0 },
    { id: sessionId(1), title: "Fall 2026", type: "semester", startDate: yearStart, endDate: "2026-12-18", parentId: sessionId(0), schoolYear: "2027", modifiedDay: 0 },
    { id: sessionId(2), title: "Spring 2027", type: "semester", startDate: "2027-01-05", endDate: "2027-06-11", parentId: sessionId(0), schoolYear: "2027", modifiedDay: 0 },
  ];

  const courseRecords: SimCourse[] = [];
  for (let g = 0; g < GRADE_COUNT; g++) {
    for (const subject of SUBJECTS) {
      const grade = (g === 0 ? "KG" : String(g).padStart(2, "0")) as GradeCode;
      const [title, code] = SUBJECT_TITLES[subject];
      courseRecords.push({
        id: id("course", courseIndexOf(grade, subject)),
        title: `${title} ${grade === "KG" ? "K" : g}`,
        courseCode: `${code}-${grade}`,
        grade,
        subject,
        modifiedDay: 0,
      });
    }
  }

  const buildUser = (role: "teacher" | "administrator", ordinal: number): SimUser => {
    const kind = ID_KINDS[role];
    const userId = id(role, ordinal);
    const person = naming.person(kind, ordinal);
    const patch = state.userPatches.get(userId);
    const staffNumber = `${role === "teacher" ? "T" : "A"}${String(10000 + ordinal)}`;
    const baseEmail = naming.staffEmail(person.givenName, person.familyName, staffNumber, naming.emailStyle(kind, ordinal));
    return {
      id: userId,
      role,
      givenName: patch?.givenName ?? person.givenName,
      middleName: person.middleName,
      familyName: patch?.familyName ?? person.familyName,
      email: patch && patch.email !== undefined ? patch.email : baseEmail,
      username: baseEmail.split("@")[0].toLowerCase(),
      studentNumber: null,
      staffNumber,
      grade: null,
      schoolIds: role === "teacher" ? structure.teacherSchools(ordinal).map(schoolId) : [],
      birthDate: null,
      modifiedDay: patch?.day ?? 0,
    };
  };

  const buildStudent = (ordinal: number): SimUser => {
    const added = state.addedStudents.get(ordinal);
    const kind = ID_KINDS.student;
    const userId = studentId(ordinal);
    const person = added ?? naming.person(kind, ordinal);
    const grade = added?.grade ?? structure.studentGrade(ordinal);
    const school = added?.school ?? structure.studentSchool(ordinal);
    const baseEmail = added
      ? added.email
      : gradeHasEmail(grade)
        ? naming.studentEmail(person.givenName, person.familyName, ordinal, naming.emailStyle(kind, ordinal))
        : null;
    const patch = state.userPatches.get(userId);
    const birthYear = 2020 - gradeIndex(grade);
    return {
      id: userId,
      role: "student",
      givenName: patch?.givenName ?? person.givenName,
      middleName: person.middleName,
      familyName: patch?.familyName ?? person.familyName,
      email: patch && patch.email !== undefined ? patch.email : baseEmail,
      username: `s${naming.studentNumber(ordinal)}`,
      studentNumber: naming.studentNumber(ordinal),
      staffNumber: null,
      grade,
      schoolIds: [schoolId(school)],
      birthDate: `${birthYear}-${String(1 + (hash32(params.seed, kind, ordinal, 5) % 12)).padStart(2, "0")}-${String(1 + (hash32(params.seed, kind, ordinal, 6) % 28)).padStart(2, "0")}`,
      modifiedDay: patch?.day ?? added?.day ?? 0,
    };
  };

  const classMembers = (ordinal: number): { teachers: number[]; students: number[] } => {
    const added = state.addedClasses.get(ordinal);
    const patch = state.classPatches.get(ordinal);
    const teachers = patch?.teachers ?? added?.teachers ?? structure.classTeachers(ordinal, params.seed);
    const base = added?.students ?? structure.classStudents(ordinal);
    const students: number[] = [];
    for (const s of base) {
      if (state.removedStudentSet.has(s) || patch?.removedStudents.has(s) || patch?.addedStudents.has(s)) continue;
      students.push(s);
    }
    if (patch) for (const s of patch.addedStudents.keys()) if (!state.removedStudentSet.has(s)) students.push(s);
    return { teachers, students };
  };

  const buildClass = (ordinal: number): SimClass => {
    const added = state.addedClasses.get(ordinal);
    const patch = state.classPatches.get(ordinal);
    const school = added?.school ?? structure.classSchool(ordinal);
    const grade = added?.grade ?? structure.classGrade(ordinal);
    const section = added?.section ?? structure.classSection(ordinal);
    const subject = added?.subject ?? SUBJECTS[section % SUBJECTS.length];
    const term = added?.term ?? 1 + (hash32(params.seed, ID_KINDS.class, ordinal, 7) % 2);
    const members = classMembers(ordinal);
    const createdDay = classDay(ordinal);
    return {
      id: id("class", ordinal, createdDay),
      schoolId: schoolId(school),
      title: patch?.title ?? added?.title ?? classTitle(grade, subject, section),
      classCode: `${SUBJECT_TITLES[subject][1]}-${grade}-${String(ordinal).padStart(4, "0")}`,
      subject,
      period: String(1 + (section % 8)),
      grade,
      termId: sessionId(term),
      courseId: id("course", courseIndexOf(grade, subject)),
      teacherIds: members.teachers.map(teacherId),
      studentIds: members.students.map(studentId),
      modifiedDay: Math.max(createdDay, patch?.titleDay ?? 0),
    };
  };

  const classes = new LayeredSet(
    structure.classCount,
    state.removedClasses,
    state.removedClassSet,
    state.addedClassOrdinals,
    buildClass,
    (classIdText) => naming.ordinalOf(classIdText, "class"),
  );
  const students = new LayeredSet(
    structure.studentCount,
    state.removedStudents,
    state.removedStudentSet,
    state.addedStudentOrdinals,
    buildStudent,
    (userId) => naming.ordinalOf(userId, "student"),
  );
  const none = new Set<number>();
  const teachers = new LayeredSet(structure.teacherCount, [], none, [], (o) => buildUser("teacher", o), (u) => naming.ordinalOf(u, "teacher"));
  const administrators = new LayeredSet(structure.administratorCount, [], none, [], (o) => buildUser("administrator", o), (u) =>
    naming.ordinalOf(u, "administrator"),
  );

  const enrollments = new EnrollmentSet(classes, (ordinal) => {
    const patch = state.classPatches.get(ordinal);
    const created = classDay(ordinal);
    const members = classMembers(ordinal);
    const classId = id("class", ordinal, created);
    const school = schoolId(state.addedClasses.get(ordinal)?.school ?? structure.classSchool(ordinal));
    return [
      ...members.teachers.map((t, i) => ({
        id: `${classId}:${teacherId(t)}`,
        classId,
        schoolId: school,
        userId: teacherId(t),
        role: "teacher" as const,
        primary: i === 0,
        modifiedDay: Math.max(created, patch?.teachersDay ?? 0),
      })),
      ...members.students.map((s) => ({
        id: `${classId}:${studentId(s)}`,
        classId,
        schoolId: school,
        userId: studentId(s),
        role: "student" as const,
        primary: false,
        modifiedDay: patch?.addedStudents.get(s) ?? created,
      })),
    ];
  }, (ordinal) => {
    const members = classMembers(ordinal);
    return members.teachers.length + members.students.length;
  });

  const district: District = {
    params,
    day,
    date: dayDate(day),
    org,
    schools: new ArraySet(schoolRecords),
    sessions: new ArraySet(sessionRecords),
    terms: new ArraySet(sessionRecords.slice(1)),
    courses: new ArraySet(courseRecords),
    classes,
    users: new ConcatSet([teachers, administrators, students]),
    students,
    teachers,
    administrators,
    enrollments,
  };
  states.set(district, state);
  return district;
}
