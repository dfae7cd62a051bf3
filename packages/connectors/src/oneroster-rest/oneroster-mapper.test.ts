import { mapClass, mapEnrollment, mapSchool, mapUser } from "./oneroster-mapper";
import { nextLink } from "./oneroster-client";

const lookups = { sessions: new Map(), courses: new Map() };

describe("OneRoster mapper", () => {
  it("maps only orgs of type school, keeping the district out", () => {
    expect(mapSchool({ sourcedId: "d", type: "district", name: "USD" })).toBeNull();
    expect(mapSchool({ sourcedId: "s", type: "School", name: " Lincoln  Elementary ", identifier: "042" })).toEqual({
      record: { externalId: "s", deleted: undefined, name: "Lincoln Elementary", schoolNumber: "042", ncesId: null, raw: expect.anything() },
    });
  });

  it("marks tobedeleted records deleted instead of rejecting their missing fields", () => {
    expect(mapSchool({ sourcedId: "s", type: "school", status: "tobedeleted" })).toMatchObject({ record: { externalId: "s", deleted: true } });
    expect(mapClass({ sourcedId: "c", status: "tobedeleted" }, lookups)).toMatchObject({ record: { externalId: "c", deleted: true } });
    expect(mapEnrollment({ sourcedId: "e", status: "tobedeleted" })).toMatchObject({ record: { externalId: "e", deleted: true } });
  });

  it("normalises grades and keeps identifier as the student number only for students", () => {
    const stu = mapUser({ sourcedId: "u", role: "student", givenName: "A", familyName: "B", identifier: "123", grades: ["K", "3", "PK", "3"], enabledUser: "false" }, new Set());
    expect(stu).toMatchObject({ record: { role: "student", studentNumber: "123", grades: ["PK", "KG", "03"] } });
    const t = mapUser({ sourcedId: "t", role: "teacher", identifier: "E1" }, new Set());
    expect(t).toMatchObject({ record: { role: "teacher", studentNumber: null } });
  });

  it("reads a 1.2-style roles list when there is no role", () => {
    const u = mapUser({ sourcedId: "u", roles: [{ roleType: "secondary", role: "teacher" }, { roleType: "primary", role: "districtAdministrator" }] }, new Set());
    expect(u).toMatchObject({ record: { role: "administrator" } });
  });

  it("rejects malformed records with a message", () => {
    expect(mapUser({ givenName: "x", role: "student" }, new Set())).toEqual({ rejected: { externalId: null, message: "user has no sourcedId", raw: expect.anything() } });
    expect(mapUser({ sourcedId: "u" }, new Set())).toMatchObject({ rejected: { externalId: "u", message: "user has no role" } });
    expect(mapClass({ sourcedId: "c", school: { sourcedId: "s" } }, lookups)).toMatchObject({ rejected: { message: "class has no title" } });
    expect(mapEnrollment({ sourcedId: "e", class: { sourcedId: "c" }, role: "student" })).toMatchObject({ rejected: { message: "enrollment has no user" } });
    expect(mapEnrollment({ sourcedId: "e", class: { sourcedId: "c" }, user: { sourcedId: "u" }, role: "guardian" })).toMatchObject({
      rejected: { message: 'enrollment has an unknown role "guardian"' },
    });
  });

  it("maps enrollment roles, proctor to aide, and string booleans", () => {
    const base = { sourcedId: "e", class: { sourcedId: "c" }, user: { sourcedId: "u" } };
    expect(mapEnrollment({ ...base, role: "proctor", primary: "true" })).toMatchObject({ record: { role: "aide", primary: true } });
    expect(mapEnrollment({ ...base, role: "administrator", primary: "false", beginDate: "2026-09-01T00:00:00Z" })).toMatchObject({
      record: { role: "administrator", primary: false, beginDate: "2026-09-01" },
    });
  });

  it("reads the next page from a Link header", () => {
    expect(nextLink('<https://h/x?limit=100&offset=200>; rel="next", <https://h/x?limit=100&offset=0>; rel="first"')).toEqual({ offset: 200, limit: 100 });
    expect(nextLink('<https://h/x?limit=100&offset=0>; rel="first"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
  });
});
