import type { CanonicalEnrollment, CanonicalUser } from "./canonical";
import { contentHash, prepareClass, prepareEnrollment, prepareSchool, prepareUser } from "./prepare-record";
import { deactivationGuardMessage, emptyRosterStats, finishedStatus, overDeactivationLimit } from "./run-stats";

const user = (over: Partial<CanonicalUser> = {}): CanonicalUser => ({
  externalId: "u1",
  role: "student",
  givenName: "Ada",
  familyName: "Lovelace",
  email: "Ada@Example.org",
  username: "ada",
  studentNumber: "1001",
  grades: ["05"],
  schoolExternalIds: ["s1"],
  raw: { id: "u1" },
  ...over,
});

describe("prepareUser", () => {
  it("normalises fields and keys the email in lower case", () => {
    const p = prepareUser(user({ givenName: "  Ada ", grades: ["5", "K"] }));
    expect(p).toMatchObject({ externalId: "u1", givenName: "Ada", email: "Ada@Example.org", emailKey: "ada@example.org", grades: ["KG", "05"], error: null });
  });
  it("hashes normalised fields, so whitespace, grade order and raw JSON do not count as a change", () => {
    const a = prepareUser(user());
    const b = prepareUser(user({ givenName: " Ada  ", grades: ["5"], raw: { id: "u1", dateLastModified: "later" } }));
    expect(b.hash).toBe(a.hash);
    expect(prepareUser(user({ email: "ada.l@example.org" })).hash).not.toBe(a.hash);
  });
  it("flags a record without an external id or with an unknown role", () => {
    expect(prepareUser(user({ externalId: " " })).error).toBe("Record has no external id");
    expect(prepareUser(user({ role: "wizard" as never })).error).toBe('Unknown role "wizard"');
  });
  it("does not flag missing fields of a deleted record", () => {
    expect(prepareUser(user({ role: "wizard" as never, deleted: true })).error).toBeNull();
  });
});

describe("prepareSchool / prepareClass / prepareEnrollment", () => {
  it("requires a school name, a class school and enrollment references", () => {
    expect(prepareSchool({ externalId: "s1", name: " ", schoolNumber: null, ncesId: null, raw: {} }).error).toBe("School has no name");
    const cls = prepareClass({
      externalId: "c1",
      schoolExternalId: "",
      title: "",
      classCode: "MATH-1",
      subject: null,
      period: null,
      termExternalId: null,
      termName: null,
      termStartDate: "2025-08-20",
      termEndDate: "bad",
      courseExternalId: null,
      courseTitle: null,
      raw: {},
    });
    expect(cls).toMatchObject({ error: "Class has no school", title: "MATH-1", termStartDate: "2025-08-20", termEndDate: null });
    const enr: CanonicalEnrollment = { externalId: "e1", classExternalId: "c1", userExternalId: "", role: "student", primary: false, beginDate: null, endDate: null, raw: {} };
    expect(prepareEnrollment(enr).error).toBe("Enrollment has no user");
    expect(prepareEnrollment({ ...enr, userExternalId: "u1", primary: "true" as never })).toMatchObject({ error: null, primary: true });
  });
  it("gives stable hashes", () => {
    expect(contentHash(["a", null, 1])).toBe(contentHash(["a", null, 1]));
    expect(contentHash(["a", null])).not.toBe(contentHash([null, "a"]));
  });
});

describe("run stats", () => {
  it("is PARTIAL when any record was rejected", () => {
    const s = emptyRosterStats();
    expect(finishedStatus(s)).toBe("SUCCESS");
    s.enrollments.errors = 1;
    expect(finishedStatus(s)).toBe("PARTIAL");
  });
  it("trips the guard only above the ratio and says how many and why", () => {
    const checks = [
      { kind: "users" as const, activeBefore: 10, deactivating: 2 },
      { kind: "enrollments" as const, activeBefore: 10, deactivating: 3 },
      { kind: "schools" as const, activeBefore: 0, deactivating: 0 },
    ];
    const over = overDeactivationLimit(checks, 0.2);
    expect(over).toEqual([{ kind: "enrollments", activeBefore: 10, deactivating: 3 }]);
    expect(deactivationGuardMessage(over, 0.2)).toMatch(/3 of 10 active enrollments \(30%\).*20% allowed by maxDeactivationRatio.*force: true/);
  });
});
