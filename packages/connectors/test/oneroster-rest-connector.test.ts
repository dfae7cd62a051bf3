import { randomUUID } from "node:crypto";
import type { ExtractBatch, ExtractContext, ExtractResult, SisConnector } from "@sis-sync/roster";
import { ConnectorError } from "@sis-sync/roster";
import type { ConnectorDeps } from "../src/connector-deps";
import { createConnector } from "../src/create-connector";
import { createOneRosterApiConnector, oauth1Authorizer, oneRosterRoot, type OneRosterTuning } from "../src/oneroster-rest";
import { startFakeOneRoster, verifyOAuth1, type FakeOptions, type FakeServer } from "./oneroster-rest-fake-server";

const FAST: OneRosterTuning = { http: { retryBaseDelayMs: 5, timeoutMs: 3_000 } };

function deps(): ConnectorDeps {
  const noop = () => undefined;
  return { providerId: "p1", logger: { debug: noop, info: noop, warn: noop, error: noop }, redis: null, redisPrefix: `t:${randomUUID()}:`, allowPrivateHosts: true, requireHttps: false };
}

function ctx(signal = new AbortController().signal): ExtractContext {
  const noop = () => undefined;
  return { signal, logger: { debug: noop, info: noop, warn: noop, error: noop }, mode: "full", cursor: null };
}

async function drain(c: SisConnector, context = ctx()): Promise<{ batches: ExtractBatch[]; result: ExtractResult }> {
  const batches: ExtractBatch[] = [];
  const gen = c.extract(context);
  for (;;) {
    const n = await gen.next();
    if (n.done) return { batches, result: n.value };
    batches.push(n.value);
  }
}

const ref = (type: string, id: string) => ({ href: `https://x/${type}/${id}`, sourcedId: id, type });
const base = (id: string, extra: Record<string, unknown> = {}) => ({ sourcedId: id, status: "active", dateLastModified: "2026-01-02T03:04:05.000Z", ...extra });

/** A small district: 1 district org, 3 schools (one tobedeleted), 2 terms, courses, classes, users, enrollments. */
function district(): FakeOptions["collections"] {
  const orgs = [
    base("d1", { name: "Springfield USD", type: "district", identifier: "D-1" }),
    base("s1", { name: "Springfield Elementary", type: "school", identifier: "101", metadata: { ncesId: "0612345" } }),
    base("s2", { name: "Springfield High", type: "school", identifier: "102" }),
    base("s3", { name: "Closed School", type: "school", identifier: "103", status: "tobedeleted" }),
  ];
  const sessions = [
    base("y1", { title: "2026-2027", type: "schoolYear", startDate: "2026-08-01", endDate: "2027-06-30" }),
    base("t1", { title: "Fall 2026", type: "semester", startDate: "2026-08-15", endDate: "2026-12-20", parent: ref("academicSession", "y1") }),
  ];
  const courses = [base("c-math", { title: "Math 5", courseCode: "M5" })];
  const classes = Array.from({ length: 7 }, (_, i) =>
    base(`k${i}`, { title: `Class ${i}`, classCode: `K-${i}`, course: ref("course", "c-math"), school: ref("org", i % 2 ? "s2" : "s1"), terms: [ref("academicSession", "t1")], periods: ["1", "2"], subjects: ["math"] }),
  );
  classes.push({ sourcedId: "k-bad", status: "active", title: "No school", terms: [] } as never);
  const users = [
    ...Array.from({ length: 23 }, (_, i) =>
      base(`u${i}`, {
        role: "student",
        givenName: ` Stu${i} `,
        familyName: "Dent",
        username: `stu${i}`,
        identifier: `S${1000 + i}`,
        email: i % 3 ? `Stu${i}@Example.org` : "",
        enabledUser: "true",
        orgs: [ref("org", "d1"), ref("org", i % 2 ? "s2" : "s1")],
        grades: [i % 2 ? "5" : "K"],
      }),
    ),
    base("t-1", { role: "teacher", givenName: "Edna", familyName: "Krabappel", identifier: "E-77", email: "edna@example.org", orgs: [ref("org", "s1")], grades: [] }),
    base("a-1", { role: "administrator", givenName: "Gary", familyName: "Chalmers", identifier: "A-1", email: "gary@example.org", orgs: [ref("org", "d1")] }),
    base("x-1", { role: "janitor", givenName: "Willie", familyName: "MacDougal" }),
    base("u-gone", { role: "student", givenName: "Gone", familyName: "Away", status: "tobedeleted", orgs: [] }),
  ];
  const enrollments = [
    ...users.slice(0, 23).map((u, i) => base(`e${i}`, { user: ref("user", u.sourcedId), class: ref("class", `k${i % 7}`), school: ref("org", "s1"), role: "student", primary: "false" })),
    base("e-t", { user: ref("user", "t-1"), class: ref("class", "k0"), school: ref("org", "s1"), role: "teacher", primary: true, beginDate: "2026-08-15" }),
    base("e-p", { user: ref("user", "a-1"), class: ref("class", "k0"), school: ref("org", "s1"), role: "proctor", primary: false }),
  ];
  return {
    "/orgs": { key: "orgs", records: orgs },
    "/academicSessions": { key: "academicSessions", records: sessions },
    "/courses": { key: "courses", records: courses },
    "/classes": { key: "classes", records: classes },
    "/users": { key: "users", records: users },
    "/enrollments": { key: "enrollments", records: enrollments },
  };
}

function byKind(batches: ExtractBatch[]) {
  const out: Record<string, { records: any[]; rejected: any[] }> = {};
  for (const b of batches) {
    out[b.kind] ??= { records: [], rejected: [] };
    out[b.kind].records.push(...b.records);
    out[b.kind].rejected.push(...(b.rejected ?? []));
  }
  return out;
}

describe("ONEROSTER_API connector", () => {
  let server: FakeServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("reads a district over OAuth 1.0a HMAC-SHA256 and maps it to the canonical model", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth1", clientId: "key-1", clientSecret: "s3cr3t!'()" }, paging: { totalHeader: true } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "key-1", clientSecret: "s3cr3t!'()" }, deps(), { ...FAST, pageSize: 5 });
    const { batches, result } = await drain(c);
    const kinds = byKind(batches);

    // The engine's order: schools → classes → users → enrollments.
    expect([...new Set(batches.map((b) => b.kind))]).toEqual(["schools", "classes", "users", "enrollments"]);
    expect(kinds.schools.records.map((s) => [s.externalId, s.deleted ?? false])).toEqual([
      ["s1", false],
      ["s2", false],
      ["s3", true],
    ]);
    expect(kinds.schools.records[0]).toMatchObject({ name: "Springfield Elementary", schoolNumber: "101", ncesId: "0612345" });

    expect(kinds.classes.records).toHaveLength(7);
    expect(kinds.classes.records[1]).toMatchObject({
      externalId: "k1",
      schoolExternalId: "s2",
      title: "Class 1",
      classCode: "K-1",
      subject: "math",
      period: "1,2",
      termExternalId: "t1",
      termName: "Fall 2026",
      termStartDate: "2026-08-15",
      termEndDate: "2026-12-20",
      courseExternalId: "c-math",
      courseTitle: "Math 5",
    });
    expect(kinds.classes.rejected).toEqual([expect.objectContaining({ externalId: "k-bad", message: "class has no school" })]);

    expect(kinds.users.records).toHaveLength(26);
    const stu0 = kinds.users.records.find((u) => u.externalId === "u0");
    expect(stu0).toMatchObject({ role: "student", givenName: "Stu0", familyName: "Dent", email: null, username: "stu0", studentNumber: "S1000", grades: ["KG"], schoolExternalIds: ["s1"] });
    expect(kinds.users.records.find((u) => u.externalId === "u1")).toMatchObject({ email: "Stu1@Example.org", grades: ["05"], schoolExternalIds: ["s2"] });
    // identifier is the student number only for students; the district org is not a school.
    expect(kinds.users.records.find((u) => u.externalId === "t-1")).toMatchObject({ role: "teacher", studentNumber: null, schoolExternalIds: ["s1"] });
    expect(kinds.users.records.find((u) => u.externalId === "a-1")).toMatchObject({ role: "administrator", schoolExternalIds: [] });
    expect(kinds.users.records.find((u) => u.externalId === "u-gone")).toMatchObject({ deleted: true });
    expect(kinds.users.rejected).toEqual([expect.objectContaining({ externalId: "x-1", message: 'user has an unknown role "janitor"' })]);

    expect(kinds.enrollments.records).toHaveLength(25);
    expect(kinds.enrollments.records.find((e) => e.externalId === "e-t")).toMatchObject({ classExternalId: "k0", userExternalId: "t-1", role: "teacher", primary: true, beginDate: "2026-08-15", endDate: null });
    expect(kinds.enrollments.records.find((e) => e.externalId === "e-p")).toMatchObject({ role: "aide" });
    expect(kinds.enrollments.records.find((e) => e.externalId === "e3")).toMatchObject({ role: "student", primary: false });

    expect(result.nextCursor).toBe("2026-01-02T03:04:05.000Z");
    // Every data request was signed and verified; users took ceil(27/5) = 6 pages of 5.
    expect(server.rawQueries.filter((q) => q.startsWith("?limit=5&offset=")).length).toBe(server.rawQueries.length);
  });

  it("signs the filter's quotes as %27, exactly as ClassLink's library does", () => {
    const sign = oauth1Authorizer({ clientId: "ck", clientSecret: "cs" });
    const url = "http://127.0.0.1:1/ims/oneroster/v1p1/users?limit=10&offset=0&filter=role%3D%27student%27";
    const { Authorization } = sign({ method: "GET", url });
    expect(Authorization).toMatch(/^OAuth oauth_consumer_key="ck",oauth_nonce="[^"]+",oauth_signature="[^"]+",oauth_signature_method="HMAC-SHA256",oauth_timestamp="\d+"$/);
    expect(Authorization).not.toContain("oauth_version");
    expect(Authorization).not.toContain("oauth_token");
    expect(verifyOAuth1("GET", url, Authorization, "cs").ok).toBe(true);
    expect(verifyOAuth1("GET", url.replace("offset=0", "offset=10"), Authorization, "cs").ok).toBe(false);
    expect(verifyOAuth1("GET", url, Authorization, "wrong").ok).toBe(false);
  });

  it("fails with AUTH_FAILED and a human message when the OAuth 1.0a secret is wrong", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth1", clientId: "key-1", clientSecret: "right" } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "key-1", clientSecret: "wrong" }, deps(), FAST);
    const host = new URL(server.url).host;
    expect(await c.test()).toEqual({ success: false, message: `Authentication failed: 401 from ${host} (Unauthorized: signature mismatch)` });
    const err = await drain(c).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe("AUTH_FAILED");
    // No retry storm on a refused signature: one request for test, one for the sync.
    expect(server.requests).toHaveLength(2);
    expect(err.message).not.toContain("wrong");
  });

  it("answers test() with success against a good server and 'Could not reach' against none", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth1", clientId: "k", clientSecret: "s" } });
    const ok = createOneRosterApiConnector({ baseUrl: `${server.url}/ims/oneroster/v1p1/`, clientId: "k", clientSecret: "s" }, deps(), FAST);
    expect(await ok.test()).toEqual({ success: true, message: `Connected to OneRoster server at ${new URL(server.url).host}` });
    expect(server.requests[0].url).toBe("/ims/oneroster/v1p1/orgs?limit=1&offset=0");
    const url = server.url;
    await server.close();
    server = null;
    const down = createOneRosterApiConnector({ baseUrl: url, clientId: "k", clientSecret: "s" }, deps(), FAST);
    const res = await down.test();
    expect(res.success).toBe(false);
    expect(res.message).toMatch(new RegExp(`^Could not reach ${new URL(url).host.replace(/\./g, "\\.")}: connection refused`));
  });

  it("uses OAuth 2.0 client credentials, caches the token and refreshes it after a 401", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth2", clientId: "cid", clientSecret: "csecret", tokenLifetimeRequests: 4 } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "cid", clientSecret: "csecret", auth: "oauth2" }, deps(), { ...FAST, pageSize: 5 });
    const kinds = byKind((await drain(c)).batches);
    expect(kinds.users.records).toHaveLength(26);
    expect(kinds.enrollments.records).toHaveLength(25);
    const dataRequests = server.requests.filter((r) => r.method === "GET");
    const tokenRequests = server.requests.filter((r) => r.method === "POST");
    // One token per 4 data requests (the token "expires"), not one per request.
    expect(tokenRequests.length).toBe(server.tokensIssued);
    expect(server.tokensIssued).toBeGreaterThan(2);
    expect(server.tokensIssued).toBeLessThan(dataRequests.length / 2);
    expect(tokenRequests[0].authorization).toBe(`Basic ${Buffer.from("cid:csecret").toString("base64")}`);
  });

  it("reports AUTH_FAILED when the token endpoint refuses the client", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth2", clientId: "cid", clientSecret: "csecret" } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "cid", clientSecret: "nope", auth: "oauth2", tokenUrl: `${server.url}/oauth/token` }, deps(), FAST);
    const res = await c.test();
    expect(res).toEqual({ success: false, message: `Authentication failed: 401 from ${new URL(server.url).host} (invalid_client)` });
  });

  it.each([
    ["X-Total-Count with a server that caps limit", { totalHeader: true, maxLimit: 4 }],
    ["Link rel=next with a server that caps limit", { linkHeader: true, maxLimit: 4 }],
    ["short page only", {}],
  ])("pages to the end with %s", async (_name, paging) => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "none" }, paging });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "k", clientSecret: "s" }, deps(), { ...FAST, pageSize: 10 });
    const kinds = byKind((await drain(c)).batches);
    expect(kinds.users.records.length + kinds.users.rejected.length).toBe(27);
    expect(kinds.enrollments.records).toHaveLength(25);
  });

  it("drops records repeated across pages and fails on a 200 without the collection", async () => {
    const collections = district();
    const users = collections["/users"].records;
    // An unstable sort: record u4 shows up again on the second page.
    collections["/users"].records = [...users.slice(0, 5), users[4], ...users.slice(5)];
    collections["/enrollments"] = { key: "wrongKey", records: [] };
    server = await startFakeOneRoster({ collections, auth: { kind: "none" } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "k", clientSecret: "s" }, deps(), { ...FAST, pageSize: 5 });
    const batches: ExtractBatch[] = [];
    const err = await (async () => {
      for await (const b of c.extract(ctx())) batches.push(b);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe("BAD_RESPONSE");
    expect(err.message).toBe('OneRoster server answered /enrollments without a "enrollments" list (got wrongKey)');
    const ids = byKind(batches).users.records.map((u) => u.externalId);
    expect(ids).toHaveLength(26);
    expect(new Set(ids).size).toBe(26);
  });

  it("stops a listing whose pages never end (a server ignoring offset)", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "none" }, paging: { ignoreOffset: true } });
    const c = createOneRosterApiConnector({ baseUrl: server.url, clientId: "k", clientSecret: "s" }, deps(), { pageSize: 2, http: { ...FAST.http, maxPages: 50 } });
    const err = await drain(c).catch((e) => e);
    expect(err.code).toBe("BAD_RESPONSE");
    expect(err.message).toBe("OneRoster server kept returning pages of /orgs after 50 pages; stopping (paging never ended)");
    expect(server.requests).toHaveLength(50);
  });

  it("is built by createConnector for ONEROSTER_API", async () => {
    server = await startFakeOneRoster({ collections: district(), auth: { kind: "oauth1", clientId: "k", clientSecret: "s" } });
    const c = createConnector("ONEROSTER_API", { baseUrl: `${server.url}/ims/oneroster/v1p1`, clientId: "k", clientSecret: "s" }, deps());
    expect(await c.test()).toMatchObject({ success: true });
  });

  it("keeps the configured root or appends /ims/oneroster/v1p1", () => {
    expect(oneRosterRoot("https://h.example/")).toBe("https://h.example/ims/oneroster/v1p1");
    expect(oneRosterRoot("https://h.example/api")).toBe("https://h.example/api/ims/oneroster/v1p1");
    expect(oneRosterRoot("https://h.example/ims/oneroster/v1p1/")).toBe("https://h.example/ims/oneroster/v1p1");
    expect(oneRosterRoot("https://h.example/ims/oneroster/rostering/v1p2")).toBe("https://h.example/ims/oneroster/rostering/v1p2");
  });
});
