import { createHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import { DISTRICT_SIZES, generateDistrict, startOneRosterPeer, type ClassLinkCredentials, type OneRosterPeer } from "../src";

/** Response bodies are checked field by field by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return res.json();
}


const district = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 31 });
let peer: OneRosterPeer;

beforeEach(async () => {
  peer = await startOneRosterPeer({ district });
});
afterEach(() => peer.close());

function oauth1(secret = peer.credentials.clientSecret) {
  return new OAuth({
    consumer: { key: peer.credentials.clientId, secret },
    signature_method: "HMAC-SHA256",
    hash_function: (base, key) => createHmac("sha256", key).update(base).digest("base64"),
  });
}

/** A GET signed with OAuth 1.0a by an independent library; the query string goes on the wire as signed. */
function signedGet(path: string, secret?: string) {
  const url = `${peer.credentials.baseUrl}${path}`;
  const o = oauth1(secret);
  return fetch(url, { headers: { ...o.toHeader(o.authorize({ url, method: "GET" })) } });
}

async function token(): Promise<string> {
  const c = peer.credentials;
  const res = await fetch(c.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString("base64")}` },
    body: "grant_type=client_credentials",
  });
  expect(res.status).toBe(200);
  const body = await json(res);
  expect(body).toEqual({ access_token: expect.any(String), token_type: "bearer", expires_in: 3600, scope: expect.any(String) });
  return body.access_token;
}

function bearerGet(path: string, accessToken: string, base = peer.credentials.baseUrl) {
  return fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${accessToken}` } });
}

/** Follows Link rel="next" to the end. */
async function pageAll(path: string, key: string, accessToken: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let url: string | undefined = `${peer.credentials.baseUrl}${path}`;
  while (url) {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(200);
    out.push(...((await json(res))[key] as Record<string, unknown>[]));
    url = /<([^>]+)>; rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
  }
  return out;
}

describe("OneRoster 1.1 REST peer", () => {
  describe("OAuth 1.0a", () => {
    it("accepts a correctly signed request, query parameters included", async () => {
      const res = await signedGet(`/users?limit=5&offset=0&filter=${encodeURIComponent("role='student'")}`);
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.users).toHaveLength(5);
      expect(body.users.every((u: { role: string }) => u.role === "student")).toBe(true);
    });

    it("refuses a wrongly signed request with 401 and an imsx statusInfoSet", async () => {
      const res = await signedGet("/users?limit=5", "not-the-secret");
      expect(res.status).toBe(401);
      expect(await json(res)).toEqual({
        statusInfoSet: [
          expect.objectContaining({
            imsx_codeMajor: "failure",
            imsx_severity: "error",
            imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: "TargetEndSystem", imsx_codeMinorFieldValue: "unauthorisedrequest" }] },
          }),
        ],
      });
    });

    it("refuses a replayed nonce and a stale timestamp", async () => {
      const url = `${peer.credentials.baseUrl}/orgs`;
      const o = oauth1();
      const header = o.toHeader(o.authorize({ url, method: "GET" }));
      expect((await fetch(url, { headers: { ...header } })).status).toBe(200);
      const replay = await fetch(url, { headers: { ...header } });
      expect(replay.status).toBe(401);
      expect(JSON.stringify(await json(replay))).toContain("nonce");
      const stale = o.authorize({ url, method: "GET" });
      stale.oauth_timestamp -= 600;
      const { oauth_signature: _s, ...unsigned } = stale;
      stale.oauth_signature = o.getSignature({ url, method: "GET" }, undefined, unsigned as OAuth.Authorization);
      const res = await fetch(url, { headers: { ...o.toHeader(stale) } });
      expect(res.status).toBe(401);
      expect(JSON.stringify(await json(res))).toContain("timestamp");
    });
  });

  describe("OAuth 2.0 client credentials", () => {
    it("issues a bearer token for Basic auth or form fields and accepts it", async () => {
      const accessToken = await token();
      expect((await bearerGet("/orgs", accessToken)).status).toBe(200);
      const c = peer.credentials;
      const form = await fetch(c.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret }).toString(),
      });
      expect(form.status).toBe(200);
      const bad = await fetch(c.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: "nope" }).toString(),
      });
      expect(bad.status).toBe(401);
      expect((await bearerGet("/orgs", "unknown")).status).toBe(401);
      expect((await fetch(`${c.baseUrl}/orgs`)).status).toBe(401);
    });
  });

  it("pages every collection to the end with limit/offset, X-Total-Count and Link", async () => {
    const accessToken = await token();
    const first = await bearerGet("/users?limit=4&offset=0", accessToken);
    expect(first.headers.get("x-total-count")).toBe(String(district.users.count));
    const link = first.headers.get("link") ?? "";
    expect(link).toContain(`${peer.credentials.baseUrl}/users?limit=4&offset=4>; rel="next"`);
    expect(link).toContain('rel="first"');
    expect(link).toContain(`offset=${Math.floor((district.users.count - 1) / 4) * 4}>; rel="last"`);
    expect((await pageAll("/users?limit=4", "users", accessToken)).map((u) => u.sourcedId)).toEqual([...district.users].map((u) => u.id));
    expect((await pageAll("/enrollments?limit=9", "enrollments", accessToken)).map((e) => e.sourcedId)).toEqual([...district.enrollments].map((e) => e.id));
    expect(await pageAll("/classes?limit=3", "classes", accessToken)).toHaveLength(district.classes.count);
    expect((await pageAll("/orgs", "orgs", accessToken)).map((o) => o.type)).toEqual(["district", ...[...district.schools].map(() => "school")]);
  });

  it("uses OneRoster's envelopes and field names", async () => {
    const accessToken = await token();
    const schools = await json(await bearerGet("/schools", accessToken));
    expect(Object.keys(schools)).toEqual(["orgs"]);
    expect(schools.orgs[0]).toMatchObject({ sourcedId: district.schools.at(0).id, status: "active", type: "school", parent: { sourcedId: district.org.id, type: "org" } });
    const students = await json(await bearerGet("/students?limit=1", accessToken));
    expect(Object.keys(students)).toEqual(["users"]);
    expect(students.users[0]).toEqual(
      expect.objectContaining({
        sourcedId: expect.any(String),
        dateLastModified: "2026-08-01T06:00:00.000Z",
        username: expect.any(String),
        enabledUser: true,
        role: "student",
        identifier: expect.stringMatching(/^\d+$/),
        userIds: [{ type: "studentNumber", identifier: expect.any(String) }],
        orgs: [expect.objectContaining({ href: expect.stringContaining("/ims/oneroster/v1p1/orgs/"), type: "org" })],
        grades: [expect.any(String)],
      }),
    );
    const e = district.enrollments.at(0);
    const single = await json(await bearerGet(`/enrollments/${e.id}`, accessToken));
    expect(single.enrollment).toMatchObject({ sourcedId: e.id, role: "teacher", primary: true, user: { sourcedId: e.userId }, class: { sourcedId: e.classId }, school: { sourcedId: e.schoolId } });
    const sessions = await json(await bearerGet("/academicSessions", accessToken));
    expect(sessions.academicSessions.map((s: { type: string }) => s.type)).toEqual(["schoolYear", "semester", "semester"]);
    const missing = await bearerGet("/users/nope", accessToken);
    expect(missing.status).toBe(404);
    expect(JSON.stringify(await json(missing))).toContain("unknownobject");
  });

  it("serves the nested school and class routes", async () => {
    const accessToken = await token();
    const school = district.schools.at(1);
    const enrollments = await pageAll(`/schools/${school.id}/enrollments?limit=7`, "enrollments", accessToken);
    expect(enrollments.map((e) => e.sourcedId)).toEqual([...district.enrollments].filter((e) => e.schoolId === school.id).map((e) => e.id));
    const classes = await pageAll(`/schools/${school.id}/classes`, "classes", accessToken);
    expect(classes.map((c) => c.sourcedId)).toEqual([...district.classes].filter((c) => c.schoolId === school.id).map((c) => c.id));
    const students = await pageAll(`/schools/${school.id}/students`, "users", accessToken);
    expect(students.every((u) => u.role === "student")).toBe(true);
    expect(students).toHaveLength([...district.students].filter((u) => u.schoolIds.includes(school.id)).length);
    const teachers = await pageAll(`/schools/${school.id}/teachers`, "users", accessToken);
    expect(teachers.length).toBeGreaterThan(0);
    const c = district.classes.at(0);
    const classEnrollments = await pageAll(`/schools/${c.schoolId}/classes/${c.id}/enrollments`, "enrollments", accessToken);
    expect(classEnrollments).toHaveLength(c.teacherIds.length + c.studentIds.length);
    const classStudents = await pageAll(`/classes/${c.id}/students`, "users", accessToken);
    expect(classStudents.map((u) => u.sourcedId).sort()).toEqual([...c.studentIds].sort());
  });

  it("filters by dateLastModified and selects fields", async () => {
    const accessToken = await token();
    const none = await bearerGet(`/users?filter=${encodeURIComponent("dateLastModified>'2026-08-01T06:00:00.000Z'")}`, accessToken);
    expect(none.headers.get("x-total-count")).toBe("0");
    const fields = await json(await bearerGet("/users?limit=2&fields=sourcedId,role", accessToken));
    expect(fields.users.map((u: object) => Object.keys(u))).toEqual([["sourcedId", "role"], ["sourcedId", "role"]]);
    expect((await bearerGet(`/users?filter=${encodeURIComponent("role=student")}`, accessToken)).status).toBe(400);
  });

  describe("faults", () => {
    it("answers 429 with Retry-After every Nth request", async () => {
      const accessToken = await token();
      peer.setFaults({ rateLimitEvery: 2, retryAfterSeconds: 7 });
      expect((await bearerGet("/orgs", accessToken)).status).toBe(200);
      const limited = await bearerGet("/orgs", accessToken);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("7");
      expect(JSON.stringify(await json(limited))).toContain("server_busy");
    });

    it("fails the given page of the given path", async () => {
      const accessToken = await token();
      peer.setFaults({ serverErrorOnPage: { path: "/enrollments", page: 3, times: 2, status: 502 } });
      expect((await bearerGet("/enrollments?limit=5&offset=5", accessToken)).status).toBe(200);
      expect((await bearerGet("/enrollments?limit=5&offset=10", accessToken)).status).toBe(502);
      expect((await bearerGet("/enrollments?limit=5&offset=10", accessToken)).status).toBe(502);
      expect((await bearerGet("/enrollments?limit=5&offset=10", accessToken)).status).toBe(200);
      expect((await bearerGet("/users?limit=5&offset=10", accessToken)).status).toBe(200);
    });

    it("repeats a record on the given page, keeping X-Total-Count", async () => {
      const accessToken = await token();
      peer.setFaults({ repeatRecordOnPage: 2 });
      const res = await bearerGet("/users?limit=5&offset=5", accessToken);
      expect(res.headers.get("x-total-count")).toBe(String(district.users.count));
      const ids = (await json(res)).users.map((u: { sourcedId: string }) => u.sourcedId);
      expect(ids).toEqual([district.users.at(4).id, ...[5, 6, 7, 8, 9].map((i) => district.users.at(i).id)]);
    });

    it("expires OAuth 2 tokens after N requests", async () => {
      const accessToken = await token();
      peer.setFaults({ expireTokenAfterRequests: 1 });
      expect((await bearerGet("/orgs", accessToken)).status).toBe(200);
      expect((await bearerGet("/orgs", accessToken)).status).toBe(401);
      expect((await bearerGet("/orgs", await token())).status).toBe(200);
    });

    it("drops the connection mid-body", async () => {
      const accessToken = await token();
      peer.setFaults({ dropConnectionOnRequest: 1 });
      const res = await bearerGet("/users", accessToken);
      await expect(res.json()).rejects.toThrow();
    });
  });
});

describe("ClassLink flavour", () => {
  let classlink: OneRosterPeer<ClassLinkCredentials>;
  beforeEach(async () => {
    classlink = await startOneRosterPeer({ district, flavour: "classlink", credentials: { tenantId: "2" } });
  });
  afterEach(() => classlink.close());

  it("serves /{tenantId}/ims/oneroster/v1p1 with the console bearer token and ClassLink's string booleans", async () => {
    const c = classlink.credentials;
    expect(c.rosterUrl).toBe(`${c.baseUrl}/2/ims/oneroster/v1p1`);
    const res = await bearerGet("/users?limit=1", c.accessToken, c.rosterUrl);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.users[0].enabledUser).toBe("true");
    expect(body.users[0].orgs[0].href).toContain("/2/ims/oneroster/v1p1/orgs/");
    expect((await bearerGet("/users?limit=1", c.accessToken, `${c.baseUrl}/3/ims/oneroster/v1p1`)).status).toBe(404);
    expect((await bearerGet("/users", "wrong", c.rosterUrl)).status).toBe(401);
  });

  it("also issues OAuth 2 tokens and accepts OAuth 1.0a signatures on the proxy path", async () => {
    const c = classlink.credentials;
    const tokenRes = await fetch(c.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.clientId, client_secret: c.clientSecret }).toString(),
    });
    const { access_token } = await json(tokenRes);
    expect((await bearerGet("/schools", access_token, c.rosterUrl)).status).toBe(200);
    const url = `${c.rosterUrl}/classes?limit=2&offset=2`;
    const o = new OAuth({
      consumer: { key: c.clientId, secret: c.clientSecret },
      signature_method: "HMAC-SHA256",
      hash_function: (base, key) => createHmac("sha256", key).update(base).digest("base64"),
    });
    const res = await fetch(url, { headers: { ...o.toHeader(o.authorize({ url, method: "GET" })) } });
    expect(res.status).toBe(200);
    expect((await json(res)).classes).toHaveLength(2);
  });
});
