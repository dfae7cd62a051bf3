import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import { ConnectorError, type CanonicalRecordByKind, type ConnectorLogger, type ExtractBatch, type ExtractResult } from "@sis-sync/roster";
import { DISTRICT_SIZES, generateDistrict, startCleverPeer, type CleverPeer, type District } from "@sis-sync/sis-simulator";
import type { ConnectorDeps } from "../src/connector-deps";
import { CleverConnector, type CleverConnectorOptions } from "../src/clever/clever-connector";
import { createConnector } from "../src/create-connector";
import type { CleverConfig } from "../src/provider-config";

/**
 * The Clever connector against the simulator's Clever v3.0 peer (real HTTP on loopback, the
 * peer's own paging, token rotation and faults): counts and ids must match the generator exactly.
 */

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = (over: Partial<ConnectorDeps> = {}): ConnectorDeps => ({
  providerId: `prov-${randomUUID()}`,
  logger: silent,
  redis: null,
  redisPrefix: `test:${randomUUID()}:`,
  allowPrivateHosts: true,
  requireHttps: false,
  ...over,
});
/**
 * Fast backoff for 5xx. `maxRetryWaitMs` is capped because the shared client honours
 * X-RateLimit-Reset on every retryable answer, and the peer (like Clever) sends it on every
 * response, 5xx and cut-off bodies included: without the cap a 500 waits for the next minute.
 * The 429 tests use a 1 s Retry-After, under the cap, so they still wait the full reset.
 */
const fastHttp: CleverConnectorOptions["http"] = { retryBaseDelayMs: 10, timeoutMs: 5_000, maxRetryWaitMs: 1_500 };

const tiny = (seed = 7) => generateDistrict({ ...DISTRICT_SIZES.tiny, seed });

function cleverConfig(peer: CleverPeer, over: Partial<CleverConfig> = {}): CleverConfig {
  const { clientId, clientSecret, districtId, baseUrl, tokenUrl } = peer.credentials;
  return { clientId, clientSecret, districtId, baseUrl, tokenUrl, ...over };
}

interface Extracted {
  batches: ExtractBatch[];
  result: ExtractResult;
  ids: Record<ExtractBatch["kind"], string[]>;
}

async function extractAll(connector: CleverConnector, signal = new AbortController().signal, onBatch?: (b: ExtractBatch) => void): Promise<Extracted> {
  const batches: ExtractBatch[] = [];
  const ids: Extracted["ids"] = { schools: [], classes: [], users: [], enrollments: [] };
  const gen = connector.extract({ signal, logger: silent, mode: "full", cursor: null });
  for (;;) {
    const step = await gen.next();
    if (step.done) return { batches, result: step.value, ids };
    batches.push(step.value);
    for (const r of step.value.records) ids[step.value.kind].push(r.externalId);
    onBatch?.(step.value);
  }
}

/** What the generator says the peer serves, in the peer's order. */
function expectedIds(d: District): Extracted["ids"] {
  return {
    schools: [...d.schools].map((s) => s.id),
    classes: [...d.classes].map((c) => c.id),
    users: [...d.users].map((u) => u.id).sort(),
    enrollments: [...d.enrollments].map((e) => e.id).sort(),
  };
}

function sortedIds(ids: Extracted["ids"]): Extracted["ids"] {
  return { schools: ids.schools, classes: ids.classes, users: [...ids.users].sort(), enrollments: [...ids.enrollments].sort() };
}

const pageCount = (n: number, size: number) => Math.max(1, Math.ceil(n / size));

describe("Clever connector against the simulator's Clever peer", () => {
  const peers: CleverPeer[] = [];
  const start = async (district: District, faults?: Parameters<typeof startCleverPeer>[0]["faults"]) => {
    const peer = await startCleverPeer({ district, faults });
    peers.push(peer);
    return peer;
  };
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  it("reads a generated district with exact counts, ids and mapped fields", async () => {
    const d = tiny();
    const peer = await start(d);
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: fastHttp }));

    expect(out.result).toEqual({ nextCursor: null });
    expect(out.batches.map((b) => b.kind)).toEqual(["schools", "classes", "users", "enrollments"]);
    expect(out.batches.every((b) => !b.rejected)).toBe(true);
    expect({ schools: out.ids.schools.length, classes: out.ids.classes.length, users: out.ids.users.length, enrollments: out.ids.enrollments.length }).toEqual({
      schools: d.schools.count,
      classes: d.classes.count,
      users: d.users.count,
      enrollments: d.enrollments.count,
    });
    expect(sortedIds(out.ids)).toEqual(expectedIds(d));

    const records = <K extends ExtractBatch["kind"]>(kind: K): CanonicalRecordByKind[K][] =>
      out.batches.filter((b) => b.kind === kind).flatMap((b) => b.records as CanonicalRecordByKind[K][]);
    const school = d.schools.at(0);
    expect(records("schools")[0]).toMatchObject({ externalId: school.id, name: school.name, schoolNumber: school.schoolNumber, ncesId: school.ncesId });

    const cls = d.classes.at(0);
    const term = d.terms.at(d.terms.indexOf(cls.termId));
    const course = d.courses.at(d.courses.indexOf(cls.courseId));
    expect(records("classes")[0]).toMatchObject({
      externalId: cls.id,
      schoolExternalId: cls.schoolId,
      title: cls.title,
      classCode: cls.classCode,
      subject: cls.subject,
      period: cls.period,
      termExternalId: cls.termId,
      termName: term.title,
      termStartDate: term.startDate,
      termEndDate: term.endDate,
      courseExternalId: cls.courseId,
      courseTitle: course.title,
    });

    const users = new Map(records("users").map((u) => [u.externalId, u]));
    for (const u of d.users) {
      expect(users.get(u.id)).toMatchObject({
        role: u.role,
        givenName: u.givenName,
        familyName: u.familyName,
        email: u.email,
        // Clever v3.0's district_admin role has no credentials.
        username: u.role === "administrator" ? null : u.username,
        studentNumber: u.role === "student" ? u.studentNumber : null,
        grades: u.grade && u.role === "student" ? [u.grade] : [],
        schoolExternalIds: u.schoolIds,
      });
    }

    const enrollments = new Map(records("enrollments").map((e) => [e.externalId, e]));
    for (const e of d.enrollments) {
      expect(enrollments.get(e.id)).toMatchObject({ classExternalId: e.classId, userExternalId: e.userId, role: e.role, primary: e.primary });
    }
  });

  it("pages through a larger district in many pages and asks for each page exactly once", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, schools: 3, studentsPerSchool: 150, classesPerSchool: 12, seed: 11 });
    const peer = await start(d);
    const pageSize = 40;
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: fastHttp, pageSize }));

    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    const userPages = pageCount(d.users.count, pageSize);
    const sectionPages = pageCount(d.classes.count, pageSize);
    expect(userPages).toBeGreaterThan(10);
    expect(out.batches.filter((b) => b.kind === "users")).toHaveLength(userPages);
    expect(out.batches.filter((b) => b.kind === "classes")).toHaveLength(sectionPages);
    expect(out.batches.filter((b) => b.kind === "enrollments")).toHaveLength(sectionPages);
    expect(peer.stats().byPath).toEqual({
      "/oauth/tokens": 1,
      "/v3.0/terms": pageCount(d.terms.count, pageSize),
      "/v3.0/courses": pageCount(d.courses.count, pageSize),
      "/v3.0/schools": pageCount(d.schools.count, pageSize),
      // Once for the classes, once more for their members after the users.
      "/v3.0/sections": 2 * sectionPages,
      "/v3.0/users": userPages,
    });
  });

  it("reads a ten-thousand-user district at Clever's maximum page size by default", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.small, seed: 3 });
    const peer = await start(d);
    // The client's default 30 s timeout per attempt: a 10,000-user page is slow on a busy CI box.
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: { ...fastHttp, timeoutMs: 30_000 } }));
    expect(d.users.count).toBeGreaterThan(9_000);
    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    // Up to 10,000 records a page (the peer answers 413 above that).
    expect(peer.stats().byPath).toEqual({
      "/oauth/tokens": 1,
      "/v3.0/terms": 1,
      "/v3.0/courses": 1,
      "/v3.0/schools": 1,
      "/v3.0/sections": 2,
      "/v3.0/users": Math.ceil(d.users.count / 10_000),
    });
  }, 120_000);

  it("waits for the reset through a 429 storm and still reads everything exactly once", async () => {
    const d = tiny(5);
    // Every second data request is refused with Retry-After: 1 and X-RateLimit-Reset one second ahead.
    const peer = await start(d, { rateLimitEvery: 2, retryAfterSeconds: 1 });
    const started = Date.now();
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: fastHttp }));
    const elapsed = Date.now() - started;

    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    // 6 pages (terms, courses, schools, sections, users, sections): every page after the first
    // met one 429 and was asked again after waiting for the reset.
    expect(peer.stats().dataRequests).toBe(11);
    expect(elapsed).toBeGreaterThanOrEqual(5 * 1_000 - 100);
  });

  it("fails with RATE_LIMITED when Clever keeps answering 429 past the retry budget", async () => {
    const peer = await start(tiny(5), { rateLimitEvery: 1, retryAfterSeconds: 0 });
    const err = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: { ...fastHttp, maxRetries: 3 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: "RATE_LIMITED", message: expect.stringMatching(/^Rate limited by 127\.0\.0\.1:\d+: still 429 after 4 attempts$/) });
    expect(peer.stats().dataRequests).toBe(4);
  });

  it("stays under a request budget shared by two workers through Redis", async () => {
    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
    const prefix = `test:${randomUUID()}:`;
    try {
      const d = tiny(9);
      const peer = await start(d);
      const config = cleverConfig(peer);
      const budget = { limit: 4, windowMs: 1_000 };
      // Two connectors for one district token, as two workers would build them.
      const a = new CleverConnector(config, deps({ redis, redisPrefix: prefix }), { http: fastHttp, pageSize: 8, rateLimit: budget });
      const b = new CleverConnector(config, deps({ redis, redisPrefix: prefix }), { http: fastHttp, pageSize: 8, rateLimit: budget });
      const started = Date.now();
      const [ra, rb] = await Promise.all([extractAll(a), extractAll(b)]);
      const elapsed = Date.now() - started;
      expect(sortedIds(ra.ids)).toEqual(expectedIds(d));
      expect(sortedIds(rb.ids)).toEqual(expectedIds(d));
      const requests = peer.stats().dataRequests;
      // 4 per second between them: n requests need at least ceil(n / 4) - 1 whole windows.
      expect(requests).toBeGreaterThan(12);
      expect(elapsed).toBeGreaterThanOrEqual((Math.ceil(requests / budget.limit) - 1) * 1_000 - 100);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it("retries a 5xx in the middle of the users and loses nothing", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 40, seed: 21 });
    const peer = await start(d, { serverErrorOnPage: { path: "users", page: 2, times: 2, status: 500 } });
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: fastHttp, pageSize: 20 }));
    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    expect(peer.stats().byPath["/v3.0/users"]).toBe(pageCount(d.users.count, 20) + 2);
  });

  it("fails the run with UNREACHABLE when the 5xx does not clear, after yielding only complete pages", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 40, seed: 21 });
    const peer = await start(d, { serverErrorOnPage: { path: "users", page: 2, times: 1_000, status: 503 } });
    const kinds: string[] = [];
    const err = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: { ...fastHttp, maxRetries: 2 }, pageSize: 20 }), undefined, (b) => kinds.push(`${b.kind}:${b.records.length}`)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNREACHABLE", message: expect.stringMatching(/^Could not reach 127\.0\.0\.1:\d+: 503 .* after 3 attempts/) });
    expect(kinds.filter((k) => k.startsWith("users"))).toEqual(["users:20"]);
  });

  it("refreshes an expiring district token through the token endpoint and reads everything", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 40, seed: 31 });
    const peer = await start(d, { expireTokenAfterRequests: 4 });
    // The stored token from the provider config: it expires after 4 requests, as does each rotated one.
    const out = await extractAll(new CleverConnector(cleverConfig(peer, { accessToken: peer.credentials.accessToken }), deps(), { http: fastHttp, pageSize: 20 }));
    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    const pages =
      pageCount(d.terms.count, 20) + pageCount(d.courses.count, 20) + pageCount(d.schools.count, 20) + pageCount(d.users.count, 20) + 2 * pageCount(d.classes.count, 20);
    expect(pages).toBeGreaterThan(10);
    // Refused requests never reach the peer's data routes: every page was served exactly once.
    expect(peer.stats().dataRequests).toBe(pages);
    // Each token serves exactly 4 requests: the stored one the first 4, each fetched one the next 4.
    expect(peer.stats().byPath["/oauth/tokens"]).toBe(Math.ceil(pages / 4) - 1);
  });

  it("fails with AUTH_FAILED and a clear message when the app credentials are refused on refresh", async () => {
    const peer = await start(tiny(), { expireTokenAfterRequests: 2 });
    const connector = new CleverConnector(cleverConfig(peer, { accessToken: peer.credentials.accessToken, clientSecret: "not-the-secret" }), deps(), { http: fastHttp });
    const err = await extractAll(connector).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "AUTH_FAILED", message: "Clever refused the client ID and secret when asked for the district token; check the app credentials" });
    // The stored token served 2 requests; the 3rd was refused and the refresh failed.
    expect(peer.stats().dataRequests).toBe(2);
    expect(peer.stats().byPath["/oauth/tokens"]).toBe(1);
  });

  it("stops promptly with CANCELLED when the run is cancelled mid-sync", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 40, seed: 41 });
    const peer = await start(d, { latencyMs: 30 });
    const ac = new AbortController();
    let cancelledAt = 0;
    const kinds: string[] = [];
    const err = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: fastHttp, pageSize: 10 }), ac.signal, (b) => {
      kinds.push(b.kind);
      if (b.kind === "users" && !cancelledAt) {
        cancelledAt = Date.now();
        ac.abort();
      }
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe("CANCELLED");
    // Checked between pages: the next page is never asked for (the bound leaves room for a busy CI box).
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    expect(kinds.filter((k) => k === "users")).toHaveLength(1);
    expect(kinds).not.toContain("enrollments");
    const requestsAtCancel = peer.stats().dataRequests;
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.stats().dataRequests).toBe(requestsAtCancel);
  });

  it("aborts a request the peer never answers as soon as the run is cancelled", async () => {
    const peer = await start(tiny(), { hangOnRequest: 4 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 300);
    const err = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: { ...fastHttp, timeoutMs: 30_000 } }), ac.signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CANCELLED" });
    // The hung request would otherwise wait out the 30 s timeout.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("survives a dropped connection, a hung request and a repeated record", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, studentsPerSchool: 40, seed: 51 });
    const peer = await start(d, { dropConnectionOnRequest: 5, hangOnRequest: 8, repeatRecordOnPage: 2 });
    const out = await extractAll(new CleverConnector(cleverConfig(peer), deps(), { http: { ...fastHttp, timeoutMs: 500 }, pageSize: 20 }));
    expect(sortedIds(out.ids)).toEqual(expectedIds(d));
    for (const kind of ["schools", "classes", "users", "enrollments"] as const) {
      expect(new Set(out.ids[kind]).size).toBe(out.ids[kind].length);
    }
  });

  it("test() names the district, and explains bad credentials and a wrong district", async () => {
    const d = tiny();
    const peer = await start(d);
    await expect(createConnector("CLEVER", cleverConfig(peer), deps()).test()).resolves.toEqual({
      success: true,
      message: `Successfully connected to Clever (district ${d.org.name})`,
    });
    await expect(createConnector("CLEVER", cleverConfig(peer, { clientSecret: "wrong" }), deps()).test()).resolves.toEqual({
      success: false,
      message: "Clever refused the client ID and secret when asked for the district token; check the app credentials",
    });
    await expect(createConnector("CLEVER", cleverConfig(peer, { districtId: "000000000000000000000000" }), deps()).test()).resolves.toEqual({
      success: false,
      message: "Clever has no token for district 000000000000000000000000: the district has not authorised this app, or the district ID is wrong",
    });
  });
});
