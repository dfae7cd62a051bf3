import { parseFilter } from "./filter";

const user = {
  sourcedId: "u1",
  role: "student",
  familyName: "O'Brien",
  dateLastModified: "2026-08-02T06:00:00.000Z",
  orgs: [{ sourcedId: "s1" }, { sourcedId: "s2" }],
};

describe("parseFilter", () => {
  it("compares with each operator", () => {
    expect(parseFilter("role='student'")(user)).toBe(true);
    expect(parseFilter("role!='student'")(user)).toBe(false);
    expect(parseFilter("dateLastModified>'2026-08-01T00:00:00.000Z'")(user)).toBe(true);
    expect(parseFilter("dateLastModified<='2026-08-01T00:00:00.000Z'")(user)).toBe(false);
    expect(parseFilter("familyName~'brien'")(user)).toBe(true);
  });

  it("reads doubled quotes, dotted fields and arrays", () => {
    expect(parseFilter("familyName='O''Brien'")(user)).toBe(true);
    expect(parseFilter("orgs.sourcedId='s2'")(user)).toBe(true);
    expect(parseFilter("orgs.sourcedId='s3'")(user)).toBe(false);
  });

  it("joins two predicates with AND or OR", () => {
    expect(parseFilter("role='student' AND familyName='Smith'")(user)).toBe(false);
    expect(parseFilter("role='student' OR familyName='Smith'")(user)).toBe(true);
  });

  it("refuses what 1.1 does not allow", () => {
    expect(() => parseFilter("role=student")).toThrow(/invalid filter/);
    expect(() => parseFilter("role='a' AND role='b' AND role='c'")).toThrow(/invalid filter/);
  });
});
