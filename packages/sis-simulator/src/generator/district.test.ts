import { DISTRICT_SIZES, generateDistrict, type District } from "./district";

const tiny = () => generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 1 });
/** Three schools (elementary, middle, high): every grade, kept small so the suite stays fast. */
const THREE_SCHOOLS = { schools: 3, teachersPerSchool: 10, studentsPerSchool: 150, classesPerSchool: 24, enrollmentsPerStudent: 4 };

function ascending(ids: string[]): boolean {
  return ids.every((id, i) => i === 0 || ids[i - 1] < id);
}

describe("generateDistrict", () => {
  it("is deterministic for a seed and different across seeds", () => {
    const a = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 7 });
    const b = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 7 });
    const c = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 8 });
    expect([...a.users]).toEqual([...b.users]);
    expect([...a.enrollments]).toEqual([...b.enrollments]);
    expect(a.users.at(0).id).not.toBe(c.users.at(0).id);
  });

  it("has the counts the parameters imply", () => {
    const d = generateDistrict({ seed: 3, schools: 3, teachersPerSchool: 4, studentsPerSchool: 30, classesPerSchool: 6, enrollmentsPerStudent: 2 });
    expect(d.schools.count).toBe(3);
    expect(d.teachers.count).toBe(12);
    expect(d.students.count).toBe(90);
    expect(d.administrators.count).toBe(1);
    expect(d.users.count).toBe(103);
    expect(d.classes.count).toBe(18);
    const studentEnrollments = [...d.enrollments].filter((e) => e.role === "student").length;
    expect(studentEnrollments).toBe(90 * 2);
  });

  it("sizes the presets as documented", () => {
    const small = generateDistrict({ ...DISTRICT_SIZES.small, seed: 1 });
    expect(small.users.count).toBeGreaterThan(9_500);
    expect(small.users.count).toBeLessThan(10_500);
    const medium = generateDistrict({ ...DISTRICT_SIZES.medium, seed: 1 });
    expect(medium.users.count).toBeGreaterThan(95_000);
    const m = DISTRICT_SIZES.medium;
    expect(m.schools * m.studentsPerSchool * m.enrollmentsPerStudent).toBeGreaterThan(550_000);
    const large = DISTRICT_SIZES.large;
    expect(large.schools * large.studentsPerSchool * large.enrollmentsPerStudent).toBeGreaterThan(4_800_000);
    expect(large.schools * (large.studentsPerSchool + large.teachersPerSchool)).toBeGreaterThan(950_000);
    expect(large.schools * large.classesPerSchool).toBe(40_000);
  });

  it("keeps ids unique and ascending in every set", () => {
    const d = generateDistrict({ ...THREE_SCHOOLS, seed: 2 });
    for (const set of [d.schools, d.sessions, d.courses, d.classes, d.users, d.students, d.teachers]) {
      expect(ascending([...set].map((r) => r.id))).toBe(true);
    }
    const enrollmentIds = [...d.enrollments].map((e) => e.id);
    expect(new Set(enrollmentIds).size).toBe(enrollmentIds.length);
  });

  it("reads any record by position and finds it by id", () => {
    const d = tiny();
    for (const set of [d.users, d.classes, d.enrollments] as const) {
      const all = [...set];
      all.forEach((record, i) => {
        expect(set.at(i)).toEqual(record);
        expect(set.indexOf(record.id)).toBe(i);
      });
      expect(set.indexOf("000000000000000000000000")).toBe(-1);
      expect(() => set.at(set.count)).toThrow(RangeError);
    }
  });

  it("derives enrollments from class rosters, primary teacher first", () => {
    const d = tiny();
    for (const c of d.classes) {
      const roster = [...d.enrollments].filter((e) => e.classId === c.id);
      expect(roster.map((e) => e.userId)).toEqual([...c.teacherIds, ...c.studentIds]);
      expect(roster.filter((e) => e.primary).map((e) => e.userId)).toEqual([c.teacherIds[0]]);
      expect(roster.every((e) => e.id === `${e.classId}:${e.userId}` && e.schoolId === c.schoolId)).toBe(true);
    }
  });

  describe("realistic shapes", () => {
    let d: District;
    beforeAll(() => {
      d = generateDistrict({ ...THREE_SCHOOLS, seed: 5 });
    });

    it("covers grades KG to 12", () => {
      const grades = new Set([...d.students].map((u) => u.grade));
      expect([...grades].sort()).toEqual(["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "KG"]);
    });

    it("gives young students no email but always a student number", () => {
      const students = [...d.students];
      const noEmail = students.filter((u) => u.email === null);
      expect(noEmail.length).toBeGreaterThan(50);
      expect(noEmail.every((u) => /^\d+$/.test(u.studentNumber ?? ""))).toBe(true);
      expect(new Set(students.map((u) => u.studentNumber)).size).toBe(students.length);
    });

    it("has teachers in several schools and co-taught classes", () => {
      expect([...d.teachers].filter((t) => t.schoolIds.length > 1).length).toBeGreaterThan(0);
      expect([...d.classes].filter((c) => c.teacherIds.length === 2).length).toBeGreaterThan(0);
    });

    it("has names with accents and apostrophes", () => {
      const names = [...d.users].flatMap((u) => [u.givenName, u.familyName]);
      expect(names.some((n) => n.includes("'"))).toBe(true);
      expect(names.some((n) => /[^\u0020-\u007e]/.test(n))).toBe(true);
    });

    it("has mixed-case emails that are unique once lower-cased", () => {
      const emails = [...d.users].flatMap((u) => (u.email ? [u.email] : []));
      expect(emails.some((e) => e !== e.toLowerCase())).toBe(true);
      expect(new Set(emails.map((e) => e.toLowerCase())).size).toBe(emails.length);
    });

    it("puts every student in enrollmentsPerStudent classes of their own school", () => {
      const schoolOf = new Map([...d.students].map((u) => [u.id, u.schoolIds[0]]));
      const perStudent = new Map<string, number>();
      const foreign: string[] = [];
      for (const e of d.enrollments) {
        if (e.role !== "student") continue;
        if (e.schoolId !== schoolOf.get(e.userId)) foreign.push(e.id);
        perStudent.set(e.userId, (perStudent.get(e.userId) ?? 0) + 1);
      }
      expect(foreign).toEqual([]);
      expect(perStudent.size).toBe(d.students.count);
      expect(new Set(perStudent.values())).toEqual(new Set([THREE_SCHOOLS.enrollmentsPerStudent]));
    });
  });

  it("rejects invalid parameters", () => {
    expect(() => generateDistrict({ ...DISTRICT_SIZES.tiny, schools: 0, seed: 1 })).toThrow(/schools/);
    expect(() => generateDistrict({ ...DISTRICT_SIZES.tiny, classesPerSchool: 1.5, seed: 1 })).toThrow(/classesPerSchool/);
  });
});
