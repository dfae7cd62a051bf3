import type { CanonicalEnrollment, CanonicalUser } from "./canonical";
import { FINGERPRINT_VERSION, RecordFingerprinter, fingerprintText } from "./record-fingerprint";

const user: CanonicalUser = {
  externalId: "u1",
  role: "student",
  givenName: "Ada",
  familyName: "Lovelace",
  email: "ada@example.org",
  username: "ada",
  studentNumber: "S1",
  grades: ["05"],
  schoolExternalIds: ["s1", "s2"],
  raw: { anything: true },
};

const fp = (kind: "users" | "enrollments", rec: CanonicalUser | CanonicalEnrollment) => {
  const f = new RecordFingerprinter().of(kind as never, rec as never);
  return fingerprintText(f.hi, f.lo);
};

describe("RecordFingerprinter", () => {
  it("is deterministic and ignores raw JSON (a SIS touching dateLastModified is not a change)", () => {
    expect(fp("users", user)).toBe(fp("users", { ...user, raw: { other: 1 } }));
    expect(fp("users", user)).toBe(fp("users", { ...user, grades: ["05"], schoolExternalIds: ["s1", "s2"] }));
  });

  it("changes with every field the preparers read, the external id and the deleted flag", () => {
    const base = fp("users", user);
    const variants: Partial<CanonicalUser>[] = [
      { externalId: "u2" },
      { role: "teacher" },
      { givenName: "Ada " },
      { familyName: "Byron" },
      { email: "ADA@example.org" },
      { email: null },
      { username: null },
      { studentNumber: "S2" },
      { grades: [] },
      { grades: ["05", "06"] },
      { schoolExternalIds: ["s2", "s1"] },
      { deleted: true },
    ];
    const all = variants.map((v) => fp("users", { ...user, ...v }));
    for (const f of all) expect(f).not.toBe(base);
    expect(new Set(all).size).toBe(all.length);
  });

  it("keeps null, empty, 'null' and split strings apart", () => {
    const e = (over: Partial<CanonicalEnrollment>): CanonicalEnrollment => ({
      externalId: "e1",
      classExternalId: "c1",
      userExternalId: "u1",
      role: "student",
      primary: false,
      beginDate: null,
      endDate: null,
      raw: null,
      ...over,
    });
    const prints = [e({}), e({ beginDate: "" }), e({ beginDate: "null" }), e({ primary: true }), e({ classExternalId: "c", userExternalId: "1u1" })].map((r) => fp("enrollments", r));
    expect(new Set(prints).size).toBe(prints.length);
  });

  it("differs between kinds for the same external id", () => {
    const asUser = new RecordFingerprinter().of("users", user);
    const asSchool = new RecordFingerprinter().of("schools", { externalId: "u1", name: "Ada", schoolNumber: null, ncesId: null, raw: null });
    expect([asUser.hi, asUser.lo]).not.toEqual([asSchool.hi, asSchool.lo]);
  });

  it("spreads 200k ids without a collision and prints signed 64-bit text", () => {
    const seen = new Set<string>();
    const f = new RecordFingerprinter();
    for (let i = 0; i < 200_000; i++) {
      f.of("enrollments", { externalId: `c${i >> 5}:u${i}`, classExternalId: `c${i >> 5}`, userExternalId: `u${i}`, role: "student", primary: false, beginDate: null, endDate: null, raw: null });
      seen.add(fingerprintText(f.hi, f.lo));
    }
    expect(seen.size).toBe(200_000);
    expect(fingerprintText(-1, -1)).toBe("-1");
    expect(fingerprintText(0, 1)).toBe("1");
    expect(fingerprintText(0x7fffffff, -1)).toBe("9223372036854775807");
    expect(FINGERPRINT_VERSION).toBeGreaterThan(0);
  });
});
