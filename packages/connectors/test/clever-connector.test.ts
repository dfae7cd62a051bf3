import http from "node:http";
import type { AddressInfo } from "node:net";
import { ConnectorError, type ExtractBatch, type ConnectorLogger } from "@sis-sync/roster";
import type { ConnectorDeps } from "../src/connector-deps";
import { CleverConnector, type CleverConnectorOptions } from "../src/clever/clever-connector";
import type { CleverConfig } from "../src/provider-config";

/**
 * A tiny Clever v3.0 stand-in on loopback: enough of the token endpoint and the Data API to
 * prove the connector's wiring (auth, paging, envelope, order) independently of the simulator.
 */
interface FakeOptions {
  /** 401 every Data API request made with this token. */
  revoked?: Set<string>;
  /** Token the token endpoint hands out (changes after `rotateTo`). */
  issue?: () => string;
  /** Answer these Data API request numbers (1-based) with this status once. */
  failOn?: Map<number, { status: number; headers?: Record<string, string> }>;
  /** Replace a collection (e.g. sections with a broken record). */
  override?: Record<string, Array<{ id: string }>>;
}

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };

const terms = [{ id: "t1", name: "Fall 2025", start_date: "2025-08-20T00:00:00.000Z", end_date: "2025-12-19T00:00:00.000Z" }];
const courses = [{ id: "c1", name: "Algebra I", number: "MA101" }];
const schools = [
  { id: "s1", name: "Lincoln Elementary", school_number: "101", nces_id: "0600001", sis_id: "101" },
  { id: "s2", name: "Roosevelt Middle", school_number: "102", nces_id: null, sis_id: "102" },
];
const sections = [
  { id: "sec1", school: "s1", name: "Algebra I - P1", sis_id: "MA101-1", period: "1", subject: "math", term_id: "t1", course: "c1", teacher: "u1", teachers: ["u1"], students: ["u3", "u4"] },
  { id: "sec2", school: "s2", name: "Homeroom", sis_id: "HR-2", period: null, subject: "homeroom/advisory", term_id: "t1", course: null, teacher: "u2", teachers: ["u1", "u2"], students: ["u4", "u5"] },
];
const users = [
  { id: "u1", email: "T.One@example.org", name: { first: "Tea", last: "One" }, roles: { teacher: { school: "s1", schools: ["s1", "s2"], credentials: { district_username: "tone" } } } },
  { id: "u2", email: "t.two@example.org", name: { first: "Tea", last: "Two" }, roles: { teacher: { school: "s2", schools: ["s2"] }, staff: { schools: ["s1"] } } },
  { id: "u3", email: null, name: { first: "Stu", last: "Three" }, roles: { student: { school: "s1", schools: ["s1"], grade: "Kindergarten", student_number: "1003" } } },
  { id: "u4", email: "stu.four@example.org", name: { first: "Stu", last: "Four" }, roles: { student: { school: "s2", schools: ["s2"], grade: "7", student_number: "1004" } } },
  { id: "u5", email: "stu.five@example.org", name: { first: "Stu", last: "Five" }, roles: { student: { school: "s2", schools: ["s2"], grade: "8", student_number: "1005" } } },
  { id: "u6", email: "parent@example.org", name: { first: "Pa", last: "Rent" }, roles: { contact: { student_relationships: [{ student: "u3" }] } } },
  { id: "u7", email: "admin@example.org", name: { first: "Ad", last: "Min" }, roles: { district_admin: { title: "Superintendent" } } },
];
const collections: Record<string, Array<{ id: string }>> = { terms, courses, schools, sections, users };

async function startFakeClever(opts: FakeOptions = {}) {
  const requests: Array<{ path: string; query: Record<string, string>; auth: string | undefined }> = [];
  let apiRequests = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const query = Object.fromEntries(url.searchParams);
    requests.push({ path: url.pathname, query, auth: req.headers.authorization });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/oauth/tokens") {
      if (req.headers.authorization !== `Basic ${Buffer.from("cid:csecret").toString("base64")}`) return send(401, { error: "invalid_client" });
      return send(200, { data: [{ id: "tok", owner: { type: "district", id: query.district }, access_token: opts.issue?.() ?? "tok-1" }] });
    }
    apiRequests += 1;
    const fault = opts.failOn?.get(apiRequests);
    if (fault) {
      opts.failOn?.delete(apiRequests);
      return send(fault.status, { message: "fault" }, fault.headers);
    }
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!token || opts.revoked?.has(token)) return send(401, { message: "invalid token" });
    if (url.pathname === "/v3.0/districts/d1") return send(200, { data: { id: "d1", name: "Springfield USD" } });
    const m = /^\/v3\.0\/(\w+)$/.exec(url.pathname);
    const list = m ? (opts.override?.[m[1]] ?? collections[m[1]]) : undefined;
    if (!list) return send(404, { message: "not found" });
    const limit = Number(query.limit ?? 100);
    const start = query.starting_after ? list.findIndex((r) => r.id === query.starting_after) + 1 : 0;
    const page = list.slice(start, start + limit);
    const links = [{ rel: "self", uri: url.pathname }];
    // Like Clever, a next link even on the last full page: it leads to an empty page.
    if (page.length === limit) links.push({ rel: "next", uri: `${url.pathname}?limit=${limit}&starting_after=${page[page.length - 1].id}` });
    send(200, { data: page.map((data) => ({ data, uri: `${url.pathname}/${data.id}` })), links });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const deps: ConnectorDeps = { providerId: "prov-clever", logger: silent, redis: null, redisPrefix: "t:", allowPrivateHosts: true, requireHttps: false };
const fastHttp: CleverConnectorOptions["http"] = { retryBaseDelayMs: 5, maxRetryWaitMs: 200, timeoutMs: 5_000 };

function connectorFor(baseUrl: string, extra: Partial<CleverConfig> = {}, options: CleverConnectorOptions = {}) {
  const config: CleverConfig = { clientId: "cid", clientSecret: "csecret", districtId: "d1", baseUrl, tokenUrl: `${baseUrl}/oauth/tokens`, ...extra };
  return new CleverConnector(config, deps, { http: fastHttp, testHttp: fastHttp, ...options });
}

async function drain(connector: CleverConnector, signal = new AbortController().signal) {
  const batches: ExtractBatch[] = [];
  const gen = connector.extract({ signal, logger: silent, mode: "full", cursor: null });
  for (;;) {
    const step = await gen.next();
    if (step.done) return { batches, result: step.value };
    batches.push(step.value);
  }
}

describe("CleverConnector against a loopback Clever stand-in", () => {
  let fake: Awaited<ReturnType<typeof startFakeClever>>;
  afterEach(async () => fake?.close());

  it("fetches a district token with Basic credentials, then reads every kind in order with Bearer", async () => {
    fake = await startFakeClever();
    const { batches, result } = await drain(connectorFor(fake.baseUrl, {}, { pageSize: 2 }));
    expect(result).toEqual({ nextCursor: null });
    // Page 3 of users is u5 + u6; u6 is a contact and is not synced.
    expect(batches.map((b) => `${b.kind}:${b.records.length}`)).toEqual(["schools:2", "classes:2", "users:2", "users:2", "users:1", "users:1", "enrollments:7"]);

    const tokenCalls = fake.requests.filter((r) => r.path === "/oauth/tokens");
    expect(tokenCalls).toEqual([{ path: "/oauth/tokens", query: { owner_type: "district", district: "d1" }, auth: `Basic ${Buffer.from("cid:csecret").toString("base64")}` }]);
    expect(new Set(fake.requests.filter((r) => r.path.startsWith("/v3.0")).map((r) => r.auth))).toEqual(new Set(["Bearer tok-1"]));
    // terms, courses first; limit sent on every page; the empty trailing page ends each list.
    expect(fake.requests.filter((r) => r.path.startsWith("/v3.0")).map((r) => `${r.path}?${new URLSearchParams(r.query)}`)).toEqual([
      "/v3.0/terms?limit=2",
      "/v3.0/courses?limit=2",
      "/v3.0/schools?limit=2",
      "/v3.0/schools?limit=2&starting_after=s2",
      "/v3.0/sections?limit=2",
      "/v3.0/sections?limit=2&starting_after=sec2",
      "/v3.0/users?limit=2",
      "/v3.0/users?limit=2&starting_after=u2",
      "/v3.0/users?limit=2&starting_after=u4",
      "/v3.0/users?limit=2&starting_after=u6",
      "/v3.0/sections?limit=2",
      "/v3.0/sections?limit=2&starting_after=sec2",
    ]);

    const classes = batches.filter((b) => b.kind === "classes").flatMap((b) => b.records);
    expect(classes[0]).toMatchObject({ externalId: "sec1", schoolExternalId: "s1", title: "Algebra I - P1", classCode: "MA101-1", period: "1", subject: "math", termName: "Fall 2025", termStartDate: "2025-08-20", termEndDate: "2025-12-19", courseTitle: "Algebra I" });
    expect(classes[1]).toMatchObject({ externalId: "sec2", courseExternalId: null, courseTitle: null, period: null });
    const people = batches.filter((b) => b.kind === "users").flatMap((b) => b.records);
    expect(people.map((u) => [u.externalId, u.role, u.grades, u.schoolExternalIds])).toEqual([
      ["u1", "teacher", [], ["s1", "s2"]],
      ["u2", "teacher", [], ["s2", "s1"]],
      ["u3", "student", ["KG"], ["s1"]],
      ["u4", "student", ["07"], ["s2"]],
      ["u5", "student", ["08"], ["s2"]],
      ["u7", "administrator", [], []],
    ]);
    const enrollments = batches.filter((b) => b.kind === "enrollments").flatMap((b) => b.records);
    expect(enrollments.map((e) => `${e.externalId}:${e.role}:${e.primary}`)).toEqual([
      "sec1:u1:teacher:true",
      "sec1:u3:student:false",
      "sec1:u4:student:false",
      "sec2:u1:teacher:false",
      "sec2:u2:teacher:true",
      "sec2:u4:student:false",
      "sec2:u5:student:false",
    ]);
  });

  it("uses a stored access token without asking the token endpoint", async () => {
    fake = await startFakeClever();
    const { batches } = await drain(connectorFor(fake.baseUrl, { accessToken: "stored-token" }));
    expect(batches.map((b) => b.kind)).toEqual(["schools", "classes", "users", "enrollments"]);
    expect(fake.requests.some((r) => r.path === "/oauth/tokens")).toBe(false);
    expect(fake.requests.every((r) => r.auth === "Bearer stored-token")).toBe(true);
  });

  it("refreshes a revoked token once through the token endpoint and carries on", async () => {
    fake = await startFakeClever({ revoked: new Set(["old-token"]), issue: () => "new-token" });
    const { batches } = await drain(connectorFor(fake.baseUrl, { accessToken: "old-token" }));
    expect(batches.reduce((n, b) => n + b.records.length, 0)).toBe(2 + 2 + 6 + 7);
    expect(fake.requests.filter((r) => r.path === "/oauth/tokens")).toHaveLength(1);
    expect(fake.requests.filter((r) => r.auth === "Bearer old-token")).toHaveLength(1);
  });

  it("fails the run with a clear message when the fresh token is refused too", async () => {
    fake = await startFakeClever({ revoked: new Set(["tok-1"]) });
    const err = await drain(connectorFor(fake.baseUrl)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe("AUTH_FAILED");
    expect((err as ConnectorError).message).toMatch(/^Clever refused the district token even after fetching a new one for district d1 \(Authentication failed: 401 from 127\.0\.0\.1:\d+ \(invalid token\)\); check that the district still authorises the app$/);
  });

  it("waits out a 429 and retries a 500 without losing or doubling records", async () => {
    const reset = String(Math.floor(Date.now() / 1000));
    fake = await startFakeClever({ failOn: new Map([[3, { status: 429, headers: { "X-RateLimit-Reset": reset } }], [6, { status: 500 }]]) });
    const { batches } = await drain(connectorFor(fake.baseUrl, {}, { pageSize: 2 }));
    const ids = batches.flatMap((b) => (b.records as Array<{ externalId: string }>).map((r) => r.externalId));
    expect(ids).toHaveLength(2 + 2 + 6 + 7);
    expect(new Set(ids).size).toBe(ids.length);
    // 12 pages as in the clean run, plus the two answered with a fault and asked again.
    expect(fake.requests.filter((r) => r.path.startsWith("/v3.0"))).toHaveLength(14);
  });

  it("test() names the district on success and gives a human message on failure", async () => {
    fake = await startFakeClever();
    await expect(connectorFor(fake.baseUrl).test()).resolves.toEqual({ success: true, message: "Successfully connected to Clever (district Springfield USD)" });
    await expect(connectorFor(fake.baseUrl, { clientSecret: "wrong" }).test()).resolves.toEqual({
      success: false,
      message: "Clever refused the client ID and secret when asked for the district token; check the app credentials",
    });
    await expect(connectorFor("http://127.0.0.1:1").test()).resolves.toMatchObject({ success: false, message: expect.stringMatching(/^Could not reach 127\.0\.0\.1:1: connection refused/) });
  });

  it("hands unmappable records to the engine as rejected, and enrols nobody in a rejected section", async () => {
    const broken = { id: "sec0", school: null, name: "No School", teacher: "u1", teachers: ["u1"], students: ["u3"] };
    fake = await startFakeClever({ override: { sections: [broken, ...sections] } });
    const { batches } = await drain(connectorFor(fake.baseUrl));
    const classes = batches.filter((b) => b.kind === "classes");
    expect(classes).toHaveLength(1);
    expect(classes[0].records.map((r) => r.externalId)).toEqual(["sec1", "sec2"]);
    expect(classes[0].rejected).toEqual([{ externalId: "sec0", message: "Clever section has no school", raw: broken }]);
    const enrollments = batches.filter((b) => b.kind === "enrollments").flatMap((b) => b.records as Array<{ classExternalId: string }>);
    expect(enrollments).toHaveLength(7);
    expect(enrollments.some((e) => e.classExternalId === "sec0")).toBe(false);
  });
});
