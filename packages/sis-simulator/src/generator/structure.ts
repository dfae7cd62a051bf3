/**
 * The day-0 shape of a district as pure arithmetic on (params, ordinal): who is in which
 * school, grade and class. Nothing here allocates per district; a class roster or a
 * student's schedule is computed when asked for.
 *
 * Classes of a school are split into K groups by grade (class c is in group c mod K,
 * student j in group j mod K). A student of group g takes E' = min(E, Cg) consecutive
 * "slots" r·E'..r·E'+E'-1 (r = j div K), slot p going to the group's class p mod Cg.
 * That makes both directions (student → classes, class → students) closed-form.
 */
import type { DistrictParams, GradeCode } from "./types";
import { unit } from "./random";

const ALL_GRADES: GradeCode[] = ["KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];
const SPANS: GradeCode[][] = [ALL_GRADES.slice(0, 6), ALL_GRADES.slice(6, 9), ALL_GRADES.slice(9)];

/** Fraction of classes taught by two teachers. */
const CO_TAUGHT_SHARE = 0.2;
/** Every Nth teacher of a school also teaches at the next school. */
const SHARED_TEACHER_EVERY = 8;

export function gradeIndex(grade: GradeCode): number {
  return ALL_GRADES.indexOf(grade);
}

export function schoolGrades(params: DistrictParams, school: number): GradeCode[] {
  return params.schools === 1 ? ALL_GRADES : SPANS[school % 3];
}

export class Structure {
  readonly studentCount: number;
  readonly teacherCount: number;
  readonly administratorCount: number;
  readonly classCount: number;

  constructor(readonly params: DistrictParams) {
    const { schools, teachersPerSchool, studentsPerSchool, classesPerSchool, enrollmentsPerStudent } = params;
    for (const [name, value, min] of [
      ["schools", schools, 1],
      ["teachersPerSchool", teachersPerSchool, 1],
      ["studentsPerSchool", studentsPerSchool, 0],
      ["classesPerSchool", classesPerSchool, 1],
      ["enrollmentsPerStudent", enrollmentsPerStudent, 0],
    ] as const) {
      if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
    }
    this.studentCount = schools * studentsPerSchool;
    this.teacherCount = schools * teachersPerSchool;
    this.administratorCount = Math.min(5, Math.max(1, Math.ceil(schools / 10)));
    this.classCount = schools * classesPerSchool;
  }

  /** Number of grade groups the classes of a school are split into. */
  private groups(school: number): number {
    const { classesPerSchool, enrollmentsPerStudent } = this.params;
    const byLoad = Math.floor(classesPerSchool / Math.max(1, enrollmentsPerStudent));
    return Math.max(1, Math.min(schoolGrades(this.params, school).length, byLoad));
  }

  private countInGroup(total: number, groups: number, group: number): number {
    return group < total ? Math.floor((total - group - 1) / groups) + 1 : 0;
  }

  studentSchool(ordinal: number): number {
    return Math.floor(ordinal / this.params.studentsPerSchool);
  }

  studentGrade(ordinal: number): GradeCode {
    const school = this.studentSchool(ordinal);
    const j = ordinal % this.params.studentsPerSchool;
    const groups = this.groups(school);
    const grades = schoolGrades(this.params, school).filter((_, x) => x % groups === j % groups);
    return grades[Math.floor(j / groups) % grades.length];
  }

  classSchool(ordinal: number): number {
    return Math.floor(ordinal / this.params.classesPerSchool);
  }

  classGrade(ordinal: number): GradeCode {
    const school = this.classSchool(ordinal);
    const c = ordinal % this.params.classesPerSchool;
    const groups = this.groups(school);
    const grades = schoolGrades(this.params, school).filter((_, x) => x % groups === c % groups);
    return grades[Math.floor(c / groups) % grades.length];
  }

  /** Position of a class among its group's classes (drives subject and period). */
  classSection(ordinal: number): number {
    const school = this.classSchool(ordinal);
    return Math.floor((ordinal % this.params.classesPerSchool) / this.groups(school));
  }

  /** Day-0 class ordinals of a day-0 student. */
  studentClasses(ordinal: number): number[] {
    const { studentsPerSchool: n, classesPerSchool: c, enrollmentsPerStudent: e } = this.params;
    const school = this.studentSchool(ordinal);
    const j = ordinal % n;
    const groups = this.groups(school);
    const group = j % groups;
    const r = Math.floor(j / groups);
    const cg = this.countInGroup(c, groups, group);
    const take = Math.min(e, cg);
    const out: number[] = [];
    for (let t = 0; t < take; t++) out.push(school * c + group + groups * ((r * take + t) % cg));
    return out;
  }

  /** Day-0 student ordinals of a day-0 class, ascending. */
  classStudents(ordinal: number): number[] {
    const { studentsPerSchool: n, classesPerSchool: c, enrollmentsPerStudent: e } = this.params;
    const school = this.classSchool(ordinal);
    const k = ordinal % c;
    const groups = this.groups(school);
    const group = k % groups;
    const m = Math.floor(k / groups);
    const cg = this.countInGroup(c, groups, group);
    const take = Math.min(e, cg);
    const slots = this.countInGroup(n, groups, group) * take;
    const out: number[] = [];
    for (let p = m; p < slots; p += cg) out.push(school * n + group + groups * Math.floor(p / take));
    return out;
  }

  /** Day-0 teacher ordinals of a class, primary first. */
  classTeachers(ordinal: number, seed: number): number[] {
    const { teachersPerSchool: t, classesPerSchool: c } = this.params;
    const school = this.classSchool(ordinal);
    const k = ordinal % c;
    const primary = school * t + (k % t);
    if (t > 1 && unit(seed, 0xc0, ordinal) < CO_TAUGHT_SHARE) return [primary, school * t + ((k + 1) % t)];
    return [primary];
  }

  teacherSchools(ordinal: number): number[] {
    const { teachersPerSchool: t, schools } = this.params;
    const school = Math.floor(ordinal / t);
    if (schools > 1 && (ordinal % t) % SHARED_TEACHER_EVERY === SHARED_TEACHER_EVERY - 1) return [school, (school + 1) % schools];
    return [school];
  }
}
