/**
 * The next day's export with a known diff. Every change is chosen so that it has exactly one
 * effect on the canonical model, and the expected effect per kind is counted as it is made.
 */
import {
  buildDistrict,
  classTitle,
  gradeHasEmail,
  stateOf,
  DistrictNaming,
  type AddedClass,
  type ClassPatch,
  type District,
  type DistrictState,
} from "./district";
import { FAMILY_NAMES, GIVEN_NAMES, MIDDLE_INITIALS, emailSafe } from "./names";
import { Rng, hash32 } from "./random";
import { Structure, schoolGrades } from "./structure";
import { SUBJECTS, type ExpectedEffect, type ExpectedEffects, type SimUser } from "./types";

/**
 * Rates are fractions of the current population (students, users with email, classes…).
 * A positive rate always makes at least one change, so tiny districts change too.
 */
export interface MutateOptions {
  seed: number;
  /** Students withdrawn (absent from the new export, with their enrollments). Default 0.01. */
  withdrawStudents?: number;
  /** New students, as a fraction of current students; each joins classes of their school. Default 0.01. */
  newStudents?: number;
  /** Users whose email changes; half of them only in letter case. Default 0.01. */
  changeEmails?: number;
  /** Users whose family name changes. Default 0.005. */
  changeNames?: number;
  /** Classes dropped with all their enrollments. Default 0.01. */
  dropClasses?: number;
  /** New classes with a teacher and some students of their school. Default 0.01. */
  addClasses?: number;
  /** Classes whose title changes. Default 0.005. */
  retitleClasses?: number;
  /** Students who move from one class to another of their school. Default 0.01. */
  moveEnrollments?: number;
  /** Co-taught classes whose primary teacher switches (two enrollments updated). Default 0.01. */
  swapPrimaryTeachers?: number;
}

export interface MutationChanges {
  withdrawnStudentIds: string[];
  newStudentIds: string[];
  emailChangedUserIds: string[];
  nameChangedUserIds: string[];
  droppedClassIds: string[];
  addedClassIds: string[];
  retitledClassIds: string[];
  /** `${fromClassId}:${userId}` → `${toClassId}:${userId}` */
  movedEnrollments: { from: string; to: string }[];
  primarySwappedClassIds: string[];
}

export interface MutationResult {
  district: District;
  expected: ExpectedEffects;
  changes: MutationChanges;
}

const DEFAULT_RATES = {
  withdrawStudents: 0.01,
  newStudents: 0.01,
  changeEmails: 0.01,
  changeNames: 0.005,
  dropClasses: 0.01,
  addClasses: 0.01,
  retitleClasses: 0.005,
  moveEnrollments: 0.01,
  swapPrimaryTeachers: 0.01,
} satisfies Omit<Required<MutateOptions>, "seed">;

/** Size of a class added by mutate (capped by the school's students). */
const ADDED_CLASS_SIZE = 20;

function howMany(rate: number, population: number): number {
  if (rate <= 0 || population <= 0) return 0;
  return Math.min(population, Math.max(1, Math.round(rate * population)));
}

/** Draws up to `count` distinct values of [0, n) passing `accept`; gives up after bounded tries. */
function sample(rng: Rng, n: number, count: number, accept: (i: number) => boolean): number[] {
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < count && tries < count * 50 + 200 && n > 0; tries++) {
    const i = rng.int(n);
    if (!chosen.has(i) && accept(i)) chosen.add(i);
  }
  return [...chosen];
}

function effect(before: number, created: number, updated: number, deactivated: number): ExpectedEffect {
  return { created, updated, deactivated, unchanged: before - updated - deactivated };
}

/** Flips the letter case of an email's local part (a case-only change). */
function recase(email: string): string {
  const [local, domain] = email.split("@");
  const first = local.charAt(0);
  const flipped = first === first.toLowerCase() ? first.toUpperCase() + local.slice(1) : local.toLowerCase();
  return `${flipped}@${domain}`;
}

export function mutate(district: District, options: MutateOptions): MutationResult {
  const rates = { ...DEFAULT_RATES, ...options };
  const prev = stateOf(district);
  const day = prev.day + 1;
  const { params } = prev;
  const structure = new Structure(params);
  const naming = new DistrictNaming(params.seed);
  const rng = new Rng(hash32(options.seed, day));

  const next: DistrictState = {
    ...prev,
    day,
    removedStudents: [...prev.removedStudents],
    removedStudentSet: new Set(prev.removedStudentSet),
    addedStudents: new Map(prev.addedStudents),
    addedStudentOrdinals: [...prev.addedStudentOrdinals],
    userPatches: new Map(prev.userPatches),
    removedClasses: [...prev.removedClasses],
    removedClassSet: new Set(prev.removedClassSet),
    addedClasses: new Map(prev.addedClasses),
    addedClassOrdinals: [...prev.addedClassOrdinals],
    classPatches: new Map(prev.classPatches),
    studentExtraClasses: new Map(prev.studentExtraClasses),
  };
  const ownPatches = new Set<number>();
  const patchFor = (classOrdinal: number): ClassPatch => {
    const old = next.classPatches.get(classOrdinal);
    if (old && ownPatches.has(classOrdinal)) return old;
    const patch: ClassPatch = old
      ? { ...old, removedStudents: new Set(old.removedStudents), addedStudents: new Map(old.addedStudents) }
      : { removedStudents: new Set(), addedStudents: new Map() };
    next.classPatches.set(classOrdinal, patch);
    ownPatches.add(classOrdinal);
    return patch;
  };
  const noteExtraClass = (student: number, classOrdinal: number) => {
    next.studentExtraClasses.set(student, new Set(next.studentExtraClasses.get(student)).add(classOrdinal));
  };
  const addToClass = (classOrdinal: number, student: number) => {
    const patch = patchFor(classOrdinal);
    patch.removedStudents.delete(student);
    patch.addedStudents.set(student, day);
    noteExtraClass(student, classOrdinal);
  };

  // Membership as of the previous day (read from `prev`, which this function never modifies).
  const isMember = (classOrdinal: number, student: number): boolean => {
    if (prev.removedClassSet.has(classOrdinal) || prev.removedStudentSet.has(student)) return false;
    const patch = prev.classPatches.get(classOrdinal);
    if (patch?.addedStudents.has(student)) return true;
    if (patch?.removedStudents.has(student)) return false;
    const added = prev.addedClasses.get(classOrdinal);
    if (added) return added.students.includes(student);
    return student < structure.studentCount && structure.studentClasses(student).includes(classOrdinal);
  };
  const classesOf = (student: number): number[] => {
    const candidates = new Set(student < structure.studentCount ? structure.studentClasses(student) : []);
    for (const c of prev.studentExtraClasses.get(student) ?? []) candidates.add(c);
    return [...candidates].filter((c) => isMember(c, student));
  };
  const classSchool = (c: number) => prev.addedClasses.get(c)?.school ?? structure.classSchool(c);
  const studentSchool = (s: number) => prev.addedStudents.get(s)?.school ?? structure.studentSchool(s);
  const schoolClasses = new Map<number, number[]>();
  const presentClassesOf = (school: number): number[] => {
    let list = schoolClasses.get(school);
    if (!list) {
      list = [];
      for (let c = school * params.classesPerSchool; c < (school + 1) * params.classesPerSchool; c++) {
        if (!prev.removedClassSet.has(c)) list.push(c);
      }
      for (const added of prev.addedClassOrdinals) if (classSchool(added) === school) list.push(added);
      schoolClasses.set(school, list);
    }
    return list;
  };
  const classOrdinal = (classId: string) => naming.ordinalOf(classId, "class") as number;
  const studentOrdinal = (userId: string) => naming.ordinalOf(userId, "student") as number;
  const rosterSize = (index: number) => district.enrollments.rosterAt(index).length;

  const changes: MutationChanges = {
    withdrawnStudentIds: [],
    newStudentIds: [],
    emailChangedUserIds: [],
    nameChangedUserIds: [],
    droppedClassIds: [],
    addedClassIds: [],
    retitledClassIds: [],
    movedEnrollments: [],
    primarySwappedClassIds: [],
  };
  const enrollments = { created: 0, updated: 0, deactivated: 0 };

  // 1. Dropped classes take all their enrollments with them.
  const dropped = new Set<number>();
  for (const index of sample(rng, district.classes.count, howMany(rates.dropClasses, district.classes.count), () => true)) {
    const record = district.classes.at(index);
    const ordinal = classOrdinal(record.id);
    dropped.add(ordinal);
    changes.droppedClassIds.push(record.id);
    enrollments.deactivated += rosterSize(index);
  }

  // 2. Withdrawn students lose their remaining enrollments.
  const withdrawn = new Set<number>();
  for (const index of sample(rng, district.students.count, howMany(rates.withdrawStudents, district.students.count), () => true)) {
    const record = district.students.at(index);
    const ordinal = studentOrdinal(record.id);
    withdrawn.add(ordinal);
    changes.withdrawnStudentIds.push(record.id);
    enrollments.deactivated += classesOf(ordinal).filter((c) => !dropped.has(c)).length;
  }

  // 3. Moves: one enrollment ends, one in another class of the same school begins.
  const moved = new Set<number>();
  const wantMoves = howMany(rates.moveEnrollments, district.students.count);
  for (let tries = 0; moved.size < wantMoves && tries < wantMoves * 50 + 200; tries++) {
    const record = district.students.at(rng.int(district.students.count));
    const student = studentOrdinal(record.id);
    if (withdrawn.has(student) || moved.has(student)) continue;
    const from = classesOf(student).filter((c) => !dropped.has(c));
    if (from.length === 0) continue;
    const fromClass = rng.pick(from);
    const targets = presentClassesOf(studentSchool(student)).filter((c) => !dropped.has(c) && !isMember(c, student));
    if (targets.length === 0) continue;
    const toClass = rng.pick(targets);
    const fromPatch = patchFor(fromClass);
    fromPatch.addedStudents.delete(student);
    fromPatch.removedStudents.add(student);
    addToClass(toClass, student);
    moved.add(student);
    const fromId = naming.id("class", prev.addedClasses.get(fromClass)?.day ?? 0, fromClass);
    const toId = naming.id("class", prev.addedClasses.get(toClass)?.day ?? 0, toClass);
    changes.movedEnrollments.push({ from: `${fromId}:${record.id}`, to: `${toId}:${record.id}` });
    enrollments.deactivated++;
    enrollments.created++;
  }

  // 4. Retitled classes.
  for (const index of sample(rng, district.classes.count, howMany(rates.retitleClasses, district.classes.count), (i) => {
    return !dropped.has(classOrdinal(district.classes.at(i).id));
  })) {
    const record = district.classes.at(index);
    const patch = patchFor(classOrdinal(record.id));
    patch.title = `${record.title.replace(/ \(Honors\)$/, "")}${record.title.endsWith(" (Honors)") ? "" : " (Honors)"}`;
    patch.titleDay = day;
    changes.retitledClassIds.push(record.id);
  }

  // 5. A co-taught class's primary teacher switches: both teacher enrollments change `primary`.
  for (const index of sample(rng, district.classes.count, howMany(rates.swapPrimaryTeachers, district.classes.count), (i) => {
    const record = district.classes.at(i);
    return record.teacherIds.length >= 2 && !dropped.has(classOrdinal(record.id));
  })) {
    const record = district.classes.at(index);
    const ordinal = classOrdinal(record.id);
    const teachers = record.teacherIds.map((t) => naming.ordinalOf(t, "teacher") as number);
    const patch = patchFor(ordinal);
    patch.teachers = [teachers[1], teachers[0], ...teachers.slice(2)];
    patch.teachersDay = day;
    changes.primarySwappedClassIds.push(record.id);
    enrollments.updated += 2;
  }

  // 6. New classes, each with one teacher and up to ADDED_CLASS_SIZE students of the school.
  const addClassCount = howMany(rates.addClasses, district.classes.count);
  for (let n = 0; n < addClassCount; n++) {
    const school = rng.int(params.schools);
    const grades = schoolGrades(params, school);
    const subject = rng.pick(SUBJECTS);
    const grade = rng.pick(grades);
    const ordinal = next.nextClassOrdinal++;
    const section = 100 + rng.int(900);
    const base = school * params.studentsPerSchool;
    const students = sample(rng, params.studentsPerSchool, Math.min(ADDED_CLASS_SIZE, params.studentsPerSchool), (j) => {
      return !prev.removedStudentSet.has(base + j) && !withdrawn.has(base + j);
    })
      .map((j) => base + j)
      .sort((a, b) => a - b);
    const added: AddedClass = {
      ordinal,
      day,
      school,
      grade,
      subject,
      section,
      term: 1 + rng.int(2),
      title: classTitle(grade, subject, section),
      teachers: [school * params.teachersPerSchool + rng.int(params.teachersPerSchool)],
      students,
    };
    next.addedClasses.set(ordinal, added);
    next.addedClassOrdinals.push(ordinal);
    for (const s of students) noteExtraClass(s, ordinal);
    changes.addedClassIds.push(naming.id("class", day, ordinal));
    enrollments.created += added.teachers.length + students.length;
  }

  // 7. New students join up to enrollmentsPerStudent existing classes of their school.
  const newCount = howMany(rates.newStudents, Math.max(district.students.count, 1));
  for (let n = 0; n < newCount; n++) {
    const ordinal = next.nextStudentOrdinal++;
    const school = rng.int(params.schools);
    const grade = rng.pick(schoolGrades(params, school));
    const givenName = rng.pick(GIVEN_NAMES);
    const familyName = rng.pick(FAMILY_NAMES);
    next.addedStudents.set(ordinal, {
      ordinal,
      day,
      school,
      grade,
      givenName,
      middleName: rng.pick(MIDDLE_INITIALS),
      familyName,
      email: gradeHasEmail(grade) ? naming.studentEmail(givenName, familyName, ordinal, rng.int(3)) : null,
    });
    next.addedStudentOrdinals.push(ordinal);
    changes.newStudentIds.push(naming.id("student", day, ordinal));
    const open = presentClassesOf(school).filter((c) => !dropped.has(c));
    for (const index of sample(rng, open.length, Math.min(params.enrollmentsPerStudent, open.length), () => true)) {
      addToClass(open[index], ordinal);
      enrollments.created++;
    }
  }

  // 8. Email changes (alternately case-only and a new address) and 9. family name changes.
  const updatedUsers = new Set<string>();
  const withdrawnIds = new Set(changes.withdrawnStudentIds);
  const patchUser = (user: SimUser, patch: { email?: string | null; familyName?: string }) => {
    const old = next.userPatches.get(user.id);
    next.userPatches.set(user.id, { ...old, ...patch, day });
    updatedUsers.add(user.id);
  };
  const emailIndexes = sample(rng, district.users.count, howMany(rates.changeEmails, district.users.count), (i) => {
    const user = district.users.at(i);
    return user.email !== null && !withdrawnIds.has(user.id);
  });
  emailIndexes.forEach((index, n) => {
    const user = district.users.at(index);
    const email = user.email as string;
    const number = user.studentNumber ?? user.staffNumber ?? String(index);
    const domain = email.split("@")[1];
    const fresh = `${emailSafe(user.givenName).toLowerCase()}.${emailSafe(user.familyName).toLowerCase()}.${number}.d${day}@${domain}`;
    patchUser(user, { email: n % 2 === 0 ? recase(email) : fresh });
    changes.emailChangedUserIds.push(user.id);
  });
  for (const index of sample(rng, district.users.count, howMany(rates.changeNames, district.users.count), (i) => {
    return !withdrawnIds.has(district.users.at(i).id);
  })) {
    const user = district.users.at(index);
    const others = FAMILY_NAMES.filter((name) => name !== user.familyName);
    patchUser(user, { familyName: rng.pick(others) });
    changes.nameChangedUserIds.push(user.id);
  }

  // Apply removals last: everything above reads the previous day's membership.
  for (const c of dropped) {
    next.removedClassSet.add(c);
    if (c < structure.classCount) next.removedClasses.push(c);
  }
  next.removedClasses.sort((a, b) => a - b);
  next.addedClassOrdinals = next.addedClassOrdinals.filter((c) => !dropped.has(c));
  for (const s of withdrawn) {
    next.removedStudentSet.add(s);
    if (s < structure.studentCount) next.removedStudents.push(s);
  }
  next.removedStudents.sort((a, b) => a - b);
  next.addedStudentOrdinals = next.addedStudentOrdinals.filter((s) => !withdrawn.has(s));

  const result = buildDistrict(next);
  const schools = district.schools.count;
  const expected: ExpectedEffects = {
    schools: effect(schools, 0, 0, 0),
    classes: effect(district.classes.count, changes.addedClassIds.length, changes.retitledClassIds.length, dropped.size),
    users: effect(district.users.count, changes.newStudentIds.length, updatedUsers.size, withdrawn.size),
    enrollments: effect(district.enrollments.count, enrollments.created, enrollments.updated, enrollments.deactivated),
  };
  return { district: result, expected, changes };
}
