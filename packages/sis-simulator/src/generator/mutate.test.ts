import { DISTRICT_SIZES, generateDistrict, type District } from "./district";
import { mutate } from "./mutate";
import type { ExpectedEffect } from "./types";

/** Big enough for every change to happen many times, small enough for a fast suite. */
const THREE_SCHOOLS = { schools: 3, teachersPerSchool: 10, studentsPerSchool: 200, classesPerSchool: 24, enrollmentsPerStudent: 4 };

/** The canonical-model fields of each kind, as a string per id: what a sync would compare. */
function snapshot(d: District) {
  return {
    schools: new Map([...d.schools].map((s) => [s.id, JSON.stringify([s.name, s.schoolNumber, s.ncesId])])),
    classes: new Map([...d.classes].map((c) => [c.id, JSON.stringify([c.schoolId, c.title, c.classCode, c.subject, c.period, c.termId, c.courseId])])),
    users: new Map([...d.users].map((u) => [u.id, JSON.stringify([u.role, u.givenName, u.familyName, u.email, u.username, u.studentNumber, u.grade, u.schoolIds])])),
    enrollments: new Map([...d.enrollments].map((e) => [e.id, JSON.stringify([e.classId, e.userId, e.role, e.primary])])),
  };
}

function diff(before: Map<string, string>, after: Map<string, string>): ExpectedEffect {
  const effect = { created: 0, updated: 0, deactivated: 0, unchanged: 0 };
  for (const [id, value] of after) {
    if (!before.has(id)) effect.created++;
    else if (before.get(id) !== value) effect.updated++;
    else effect.unchanged++;
  }
  for (const id of before.keys()) if (!after.has(id)) effect.deactivated++;
  return effect;
}

describe("mutate", () => {
  it.each([
    ["tiny", DISTRICT_SIZES.tiny],
    ["three schools", THREE_SCHOOLS],
  ])("reports exactly the diff it made, day after day (%s)", (_name, size) => {
    let day = generateDistrict({ ...size, seed: 11 });
    for (let n = 1; n <= 3; n++) {
      const before = snapshot(day);
      const result = mutate(day, { seed: n, withdrawStudents: 0.03, newStudents: 0.03, moveEnrollments: 0.03, changeEmails: 0.02 });
      const after = snapshot(result.district);
      for (const kind of ["schools", "classes", "users", "enrollments"] as const) {
        expect({ kind, ...diff(before[kind], after[kind]) }).toEqual({ kind, ...result.expected[kind] });
      }
      expect(result.district.day).toBe(n);
      day = result.district;
    }
  });

  it("makes every kind of change it documents", () => {
    const d = generateDistrict({ ...THREE_SCHOOLS, seed: 4 });
    const { expected, changes } = mutate(d, { seed: 1, withdrawStudents: 0.02 });
    expect(changes.withdrawnStudentIds.length).toBe(Math.round(0.02 * d.students.count));
    expect(changes.newStudentIds.length).toBe(Math.round(0.01 * d.students.count));
    for (const list of Object.values(changes)) expect(list.length).toBeGreaterThan(0);
    expect(expected.enrollments.updated).toBe(2 * changes.primarySwappedClassIds.length);
    expect(expected.users.deactivated).toBe(changes.withdrawnStudentIds.length);
  });

  it("changes some emails only in letter case", () => {
    const d = generateDistrict({ ...THREE_SCHOOLS, seed: 4 });
    const { district, changes } = mutate(d, { seed: 2, changeEmails: 0.05 });
    const pairs = changes.emailChangedUserIds.map((id) => [d.users.at(d.users.indexOf(id)).email, district.users.at(district.users.indexOf(id)).email]);
    expect(pairs.every(([a, b]) => a !== b)).toBe(true);
    expect(pairs.some(([a, b]) => a?.toLowerCase() === b?.toLowerCase())).toBe(true);
    expect(pairs.some(([a, b]) => a?.toLowerCase() !== b?.toLowerCase())).toBe(true);
    const emails = [...district.users].flatMap((u) => (u.email ? [u.email.toLowerCase()] : []));
    expect(new Set(emails).size).toBe(emails.length);
  });

  it("keeps exports consistent: no enrollment of a withdrawn student or a dropped class", () => {
    const d = generateDistrict({ ...THREE_SCHOOLS, seed: 9 });
    const { district, changes } = mutate(d, { seed: 3, withdrawStudents: 0.05, dropClasses: 0.05 });
    const gone = new Set([...changes.withdrawnStudentIds, ...changes.droppedClassIds]);
    const users = new Set([...district.users].map((u) => u.id));
    const classes = new Set([...district.classes].map((c) => c.id));
    const all = [...district.enrollments];
    expect(all.filter((e) => gone.has(e.userId) || gone.has(e.classId))).toEqual([]);
    expect(all.filter((e) => !users.has(e.userId) || !classes.has(e.classId))).toEqual([]);
    expect(changes.withdrawnStudentIds.every((id) => d.enrollments.count > 0 && [...d.enrollments].some((e) => e.userId === id))).toBe(true);
  });

  it("never reuses the id of a removed entity and keeps ids of everyone else", () => {
    let d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 2 });
    const seen = new Set([...d.users, ...d.classes].map((r) => r.id));
    for (let n = 1; n <= 4; n++) {
      const { district, changes } = mutate(d, { seed: n, withdrawStudents: 0.1, newStudents: 0.1, dropClasses: 0.1, addClasses: 0.1 });
      for (const id of [...changes.newStudentIds, ...changes.addedClassIds]) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      const kept = [...d.users].filter((u) => !changes.withdrawnStudentIds.includes(u.id));
      for (const u of kept) expect(district.users.indexOf(u.id)).toBeGreaterThanOrEqual(0);
      d = district;
    }
  });

  it("leaves the previous day's district untouched", () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 6 });
    const day1 = mutate(d, { seed: 1 }).district;
    const before = { users: [...day1.users], enrollments: [...day1.enrollments] };
    mutate(day1, { seed: 2, moveEnrollments: 0.5, swapPrimaryTeachers: 0.5, retitleClasses: 0.5 });
    expect([...day1.users]).toEqual(before.users);
    expect([...day1.enrollments]).toEqual(before.enrollments);
  });

  it("reads the next day's records by position and by id, removals and additions included", () => {
    let d = generateDistrict({ ...THREE_SCHOOLS, seed: 12 });
    for (let n = 1; n <= 2; n++) d = mutate(d, { seed: n, withdrawStudents: 0.1, dropClasses: 0.1, newStudents: 0.05, addClasses: 0.05 }).district;
    for (const set of [d.users, d.students, d.classes, d.enrollments] as const) {
      const all = [...set];
      expect(all).toHaveLength(set.count);
      for (let i = 0; i < all.length; i += 7) {
        expect(set.at(i)).toEqual(all[i]);
        expect(set.indexOf(all[i].id)).toBe(i);
      }
    }
  });

  it("is deterministic for a seed", () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 3 });
    const a = mutate(d, { seed: 5 });
    const b = mutate(d, { seed: 5 });
    expect(a.expected).toEqual(b.expected);
    expect([...a.district.enrollments]).toEqual([...b.district.enrollments]);
  });

  it("makes no change when every rate is 0", () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 3 });
    const zero = { withdrawStudents: 0, newStudents: 0, changeEmails: 0, changeNames: 0, dropClasses: 0, addClasses: 0, retitleClasses: 0, moveEnrollments: 0, swapPrimaryTeachers: 0 };
    const { expected } = mutate(d, { seed: 1, ...zero });
    expect(expected.users).toEqual({ created: 0, updated: 0, deactivated: 0, unchanged: d.users.count });
    expect(expected.enrollments).toEqual({ created: 0, updated: 0, deactivated: 0, unchanged: d.enrollments.count });
  });
});
