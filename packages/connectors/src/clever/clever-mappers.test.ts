import {
  deriveCleverEnrollments,
  mapCleverSchool,
  mapCleverSection,
  mapCleverUser,
  normaliseCleverGrade,
  primaryCleverRole,
  toIsoDate,
} from "./clever-mappers";
import type { CleverCourse, CleverSection, CleverTerm, CleverUser } from "./clever-types";

function record<T>(outcome: { record: T } | { rejected: unknown } | { skipped: string }): T {
  if (!("record" in outcome)) throw new Error(`expected a record, got ${JSON.stringify(outcome)}`);
  return outcome.record;
}

describe("normaliseCleverGrade", () => {
  it.each([
    ["Kindergarten", "KG"],
    ["PreKindergarten", "PK"],
    ["TransitionalKindergarten", "TK"],
    ["InfantToddler", "IT"],
    ["Preschool", "PR"],
    ["PostGraduate", "PS"],
    ["Ungraded", "UG"],
    ["Other", "Other"],
    ["1", "01"],
    ["9", "09"],
    ["12", "12"],
    ["13", "13"],
  ])("maps Clever grade %s to %s", (input, expected) => {
    expect(normaliseCleverGrade(input)).toBe(expected);
  });

  it("treats blank and null as no grade", () => {
    expect(normaliseCleverGrade("")).toBeNull();
    expect(normaliseCleverGrade(null)).toBeNull();
    expect(normaliseCleverGrade(undefined)).toBeNull();
  });
});

describe("toIsoDate", () => {
  it("keeps the calendar date of ISO dates and datetimes and converts M/D/YYYY", () => {
    expect(toIsoDate("2025-08-20")).toBe("2025-08-20");
    expect(toIsoDate("2025-08-20T00:00:00.000Z")).toBe("2025-08-20");
    expect(toIsoDate("8/2/2012")).toBe("2012-08-02");
    expect(toIsoDate("")).toBeNull();
    expect(toIsoDate("next week")).toBeNull();
    expect(toIsoDate(null)).toBeNull();
  });
});

describe("mapCleverSchool", () => {
  it("maps name, school_number and nces_id", () => {
    const raw = { id: "5a0000000000000000000001", name: " Lincoln Elementary ", school_number: "102", sis_id: "S102", nces_id: "060000100001" };
    expect(record(mapCleverSchool(raw))).toEqual({
      externalId: "5a0000000000000000000001",
      name: "Lincoln Elementary",
      schoolNumber: "102",
      ncesId: "060000100001",
      raw,
    });
  });

  it("falls back to sis_id when school_number is blank and keeps a missing nces_id null", () => {
    const r = record(mapCleverSchool({ id: "s1", name: "A", school_number: "", sis_id: "S9", nces_id: null }));
    expect(r.schoolNumber).toBe("S9");
    expect(r.ncesId).toBeNull();
  });

  it("rejects a school without a name or an id", () => {
    expect(mapCleverSchool({ id: "s1", name: "" })).toEqual({ rejected: { externalId: "s1", message: "Clever school has no name", raw: { id: "s1", name: "" } } });
    expect(mapCleverSchool({ name: "X" } as never)).toMatchObject({ rejected: { externalId: null, message: "Clever school without an id" } });
  });
});

describe("mapCleverSection", () => {
  const terms = new Map<string, CleverTerm>([["t1", { id: "t1", name: "Fall 2025", start_date: "2025-08-20T00:00:00.000Z", end_date: "2025-12-19" }]]);
  const courses = new Map<string, CleverCourse>([["c1", { id: "c1", name: "Algebra I", number: "MA101" }]]);

  it("maps the section with its term and course looked up", () => {
    const raw: CleverSection = {
      id: "sec1",
      school: "s1",
      name: "Algebra I - P3",
      sis_id: "MA101-3",
      section_number: "3",
      period: "3",
      subject: "math",
      term_id: "t1",
      course: "c1",
      teacher: "u1",
      teachers: ["u1"],
      students: ["u2"],
    };
    expect(record(mapCleverSection(raw, { terms, courses }))).toEqual({
      externalId: "sec1",
      schoolExternalId: "s1",
      title: "Algebra I - P3",
      classCode: "MA101-3",
      subject: "math",
      period: "3",
      termExternalId: "t1",
      termName: "Fall 2025",
      termStartDate: "2025-08-20",
      termEndDate: "2025-12-19",
      courseExternalId: "c1",
      courseTitle: "Algebra I",
      raw,
    });
  });

  it("keeps unknown term and course ids with null details and uses section_number without sis_id", () => {
    const r = record(mapCleverSection({ id: "sec2", school: "s1", name: "Homeroom", section_number: "HR-1", subject: "", period: null, term_id: "tX", course: "cX" }, { terms, courses }));
    expect(r).toMatchObject({ classCode: "HR-1", subject: null, period: null, termExternalId: "tX", termName: null, termStartDate: null, courseExternalId: "cX", courseTitle: null });
  });

  it("titles an unnamed section by its number and rejects one without a school", () => {
    expect(record(mapCleverSection({ id: "sec3", school: "s1", name: "", section_number: "7" }, { terms, courses })).title).toBe("7");
    expect(mapCleverSection({ id: "sec4", name: "X" }, { terms, courses })).toMatchObject({ rejected: { externalId: "sec4", message: "Clever section has no school" } });
  });
});

describe("mapCleverUser", () => {
  it("maps a student with number, grade, username and schools (primary first)", () => {
    const raw: CleverUser = {
      id: "u2",
      email: "Ana.Lopez@Example.org",
      name: { first: "Ana", middle: "M", last: "Lopez" },
      roles: {
        student: {
          sis_id: "1001",
          student_number: "S-1001",
          state_id: "ST1001",
          grade: "Kindergarten",
          school: "s2",
          schools: ["s1", "s2"],
          credentials: { district_username: "alopez" },
        },
      },
    };
    expect(record(mapCleverUser(raw))).toEqual({
      externalId: "u2",
      role: "student",
      givenName: "Ana",
      familyName: "Lopez",
      email: "Ana.Lopez@Example.org",
      username: "alopez",
      studentNumber: "S-1001",
      grades: ["KG"],
      schoolExternalIds: ["s2", "s1"],
      raw,
    });
  });

  it("maps teachers, district admins and staff, with no grades or student number", () => {
    const teacher = record(mapCleverUser({ id: "t1", email: null, name: { first: "Tom", last: "Ng" }, roles: { teacher: { school: "s1", schools: ["s1"], teacher_number: "T9", credentials: { district_username: "tng" } } } }));
    expect(teacher).toMatchObject({ role: "teacher", email: null, username: "tng", studentNumber: null, grades: [], schoolExternalIds: ["s1"] });
    const admin = record(mapCleverUser({ id: "a1", name: { first: "Di", last: "Ray" }, roles: { district_admin: { title: "Superintendent" } } }));
    expect(admin).toMatchObject({ role: "administrator", schoolExternalIds: [], username: null });
    const staff = record(mapCleverUser({ id: "st1", name: { first: "Sal", last: "Oh" }, roles: { staff: { schools: ["s3", "s4"], credentials: { district_username: "soh" } } } }));
    expect(staff).toMatchObject({ role: "administrator", schoolExternalIds: ["s3", "s4"], username: "soh" });
  });

  it("picks student > teacher > district_admin > staff for multi-role users and unions their schools", () => {
    expect(primaryCleverRole({ id: "x", roles: { staff: {}, district_admin: {}, teacher: {} } })).toBe("teacher");
    expect(primaryCleverRole({ id: "x", roles: { staff: {}, district_admin: {} } })).toBe("district_admin");
    expect(primaryCleverRole({ id: "x", roles: { staff: {}, student: {} } })).toBe("student");
    const both = record(mapCleverUser({ id: "m1", name: { first: "M", last: "R" }, roles: { staff: { schools: ["s9", "s1"] }, teacher: { school: "s1", schools: ["s1", "s2"] } } }));
    expect(both.role).toBe("teacher");
    expect(both.schoolExternalIds).toEqual(["s1", "s2", "s9"]);
  });

  it("skips contact-only users and users without roles instead of rejecting them", () => {
    expect(mapCleverUser({ id: "c1", roles: { contact: { phone: "1" } } })).toEqual({ skipped: "roles contact are not synced" });
    expect(mapCleverUser({ id: "c2", roles: {} })).toEqual({ skipped: "user has no role" });
  });

  it("maps missing names to empty strings and blank email to null", () => {
    const r = record(mapCleverUser({ id: "u9", email: "  ", name: { first: null, last: " Smith " }, roles: { student: { grade: "" } } }));
    expect(r).toMatchObject({ givenName: "", familyName: "Smith", email: null, grades: [], schoolExternalIds: [] });
  });
});

describe("deriveCleverEnrollments", () => {
  it("enrols teachers (primary from `teacher`) and students with section:user ids", () => {
    const got = deriveCleverEnrollments({ id: "sec1", school: "s1", teacher: "t2", teachers: ["t1", "t2"], students: ["u1", "u2"] });
    expect(got.map((e) => [e.externalId, e.classExternalId, e.userExternalId, e.role, e.primary])).toEqual([
      ["sec1:t1", "sec1", "t1", "teacher", false],
      ["sec1:t2", "sec1", "t2", "teacher", true],
      ["sec1:u1", "sec1", "u1", "student", false],
      ["sec1:u2", "sec1", "u2", "student", false],
    ]);
    expect(got[1]).toEqual({
      externalId: "sec1:t2",
      classExternalId: "sec1",
      userExternalId: "t2",
      role: "teacher",
      primary: true,
      beginDate: null,
      endDate: null,
      raw: { section: "sec1", user: "t2", role: "teacher", primary: true },
    });
  });

  it("enrols a primary teacher missing from `teachers` and de-duplicates users", () => {
    const got = deriveCleverEnrollments({ id: "sec2", teacher: "t9", teachers: ["t1", "t1"], students: ["u1", "t1", "u1"] });
    expect(got.map((e) => `${e.externalId}/${e.role}/${e.primary}`)).toEqual(["sec2:t9/teacher/true", "sec2:t1/teacher/false", "sec2:u1/student/false"]);
  });

  it("yields nothing for an empty section", () => {
    expect(deriveCleverEnrollments({ id: "sec3", teacher: null, teachers: [], students: [] })).toEqual([]);
    expect(deriveCleverEnrollments({ id: "sec4" })).toEqual([]);
  });
});
