import { randomUUID } from "node:crypto";
import { ConnectorError, type ConnectorLogger, type ExtractBatch, type ExtractResult, type SisConnector } from "@sis-sync/roster";
import { startOneRosterPeer, type ClassLinkCredentials, type OneRosterCredentials, type OneRosterPeer } from "@sis-sync/sis-simulator/src/oneroster/oneroster-peer";
import { DISTRICT_SIZES, generateDistrict, type District } from "@sis-sync/sis-simulator/src/generator";
import type { HttpFaults } from "@sis-sync/sis-simulator/src/faults";
import type { ConnectorDeps } from "../src/connector-deps";
import { createConnector } from "../src/create-connector";
import { createOneRosterApiConnector, type OneRosterTuning } from "../src/oneroster-rest";
import { createClassLinkConnector } from "../src/classlink";

/**
 * ONEROSTER_API and CLASSLINK against the simulator's OneRoster 1.1 peer (both flavours):
 * real HTTP on loopback, the peer's own paging, OAuth 1.0a verification, tokens and faults.
 * Counts and ids must match the generator exactly.
 */

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = (): ConnectorDeps => ({ providerId: `prov-${randomUUID()}`, logger: silent, redis: null, redisPrefix: `test:${randomUUID()}:`, allowPrivateHosts: true, requireHttps: false });
const fast = (over: OneRosterTuning = {}): OneRosterTuning => ({ pageSize: 7, ...over, http: { retryBaseDelayMs: 10, timeoutMs: 5_000, ...over.http } });
const tiny = (seed = 11) => generateDistrict({ ...DISTRICT_SIZES.tiny, seed });

type Kind = ExtractBatch["kind"];
interface Extracted {
  result: ExtractResult;
  records: { [K in Kind]: Extract<ExtractBatch, { kind: K }>["records"] };
  rejected: number;
  kindsInOrder: Kind[];
}

async function extractAll(connector: SisConnector, signal = new AbortController().signal): Promise<Extracted> {
  const out: Extracted = { result: { nextCursor: null }, records: { schools: [], classes: [], users: [], enrollments: [] }, rejected: 0, kindsInOrder: [] };
  const gen = connector.extract({ signal, logger: silent, mode: "full", cursor: null });
  for (;;) {
    const step = await gen.next();
    if (step.done) {
      out.result = step.value;
      return out;
    }
    const b = step.value;
    if (out.kindsInOrder.at(-1) !== b.kind) out.kindsInOrder.push(b.kind);
    (out.records[b.kind] as unknown[]).push(...b.records);
    out.rejected += b.rejected?.length ?? 0;
  }
}

function expectMatchesDistrict(x: Extracted, d: District): void {
  expect(x.kindsInOrder).toEqual(["schools", "classes", "users", "enrollments"]);
  expect(x.rejected).toBe(0);
  expect({ schools: x.records.schools.length, classes: x.records.classes.length, users: x.records.users.length, enrollments: x.records.enrollments.length }).toEqual({
    schools: d.schools.count,
    classes: d.classes.count,
    users: d.users.count,
    enrollments: d.enrollments.count,
  });
  expect(x.records.schools.map((s) => s.externalId)).toEqual([...d.schools].map((s) => s.id));
  expect(x.records.classes.map((c) => c.externalId)).toEqual([...d.classes].map((c) => c.id));
  expect(x.records.users.map((u) => u.externalId)).toEqual([...d.users].map((u) => u.id));
  expect(new Set(x.records.enrollments.map((e) => e.externalId))).toEqual(new Set([...d.enrollments].map((e) => e.id)));

  const school = d.schools.at(0);
  expect(x.records.schools[0]).toMatchObject({ externalId: school.id, name: school.name, schoolNumber: school.schoolNumber });

  const cls = d.classes.at(d.classes.count - 1);
  const term = d.terms.at(d.terms.indexOf(cls.termId));
  const course = d.courses.at(d.courses.indexOf(cls.courseId));
  expect(x.records.classes.find((c) => c.externalId === cls.id)).toMatchObject({
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

  const byId = new Map(x.records.users.map((u) => [u.externalId, u]));
  for (const u of [d.students.at(0), d.students.at(d.students.count - 1), d.teachers.at(0), d.administrators.at(0)]) {
    expect(byId.get(u.id)).toMatchObject({
      role: u.role,
      givenName: u.givenName,
      familyName: u.familyName,
      email: u.email,
      username: u.username,
      studentNumber: u.role === "student" ? u.studentNumber : null,
      grades: u.grade ? [u.grade] : [],
      // The district org in a user's orgs is not a school.
      schoolExternalIds: u.schoolIds,
    });
  }

  const enr = [...d.enrollments].find((e) => e.role === "teacher")!;
  expect(x.records.enrollments.find((e) => e.externalId === enr.id)).toMatchObject({ classExternalId: enr.classId, userExternalId: enr.userId, role: "teacher", primary: enr.primary });
}

type Flavour = "oneroster" | "classlink";
const peers: OneRosterPeer<OneRosterCredentials | ClassLinkCredentials>[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function start(flavour: Flavour, district: District, faults?: HttpFaults) {
  const peer = flavour === "classlink" ? await startOneRosterPeer({ flavour: "classlink", district, faults }) : await startOneRosterPeer({ district, faults });
  peers.push(peer);
  return peer;
}

function connectorFor(flavour: Flavour, peer: OneRosterPeer<OneRosterCredentials | ClassLinkCredentials>, tuning: OneRosterTuning, over: { clientSecret?: string; auth?: "oauth1" | "oauth2"; tenantId?: string } = {}) {
  if (flavour === "classlink") {
    const c = peer.credentials as ClassLinkCredentials;
    return createClassLinkConnector({ clientId: c.clientId, clientSecret: over.clientSecret ?? c.clientSecret, tenantId: over.tenantId ?? c.tenantId, baseUrl: c.baseUrl }, deps(), tuning);
  }
  const c = peer.credentials as OneRosterCredentials;
  return createOneRosterApiConnector({ baseUrl: c.baseUrl, clientId: c.clientId, clientSecret: over.clientSecret ?? c.clientSecret, auth: over.auth, tokenUrl: over.auth === "oauth2" ? c.tokenUrl : undefined }, deps(), tuning);
}

describe.each(["oneroster", "classlink"] as const)("%s peer", (flavour) => {
  it("extracts the generator's exact counts, ids and fields over OAuth 1.0a", async () => {
    const d = tiny();
    const peer = await start(flavour, d);
    const x = await extractAll(connectorFor(flavour, peer, fast()));
    expectMatchesDistrict(x, d);
    expect(x.result.nextCursor).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    if (flavour === "classlink") {
      // ClassLink's proxy shape: the tenant addresses the district in the path.
      const tenant = (peer.credentials as ClassLinkCredentials).tenantId;
      expect(Object.keys(peer.stats().byPath).every((p) => p.startsWith(`/${tenant}/ims/oneroster/v1p1/`))).toBe(true);
    }
  });

  it("answers test() with success, and with 'Authentication failed' for a wrong secret", async () => {
    const peer = await start(flavour, tiny());
    const host = new URL(peer.url).host;
    const source = flavour === "classlink" ? "ClassLink" : "OneRoster server";
    expect(await connectorFor(flavour, peer, fast()).test()).toEqual({ success: true, message: `Connected to ${source} at ${host}` });
    const bad = connectorFor(flavour, peer, fast(), { clientSecret: "not-the-secret" });
    expect(await bad.test()).toEqual({ success: false, message: `Authentication failed: 401 from ${host} (OAuth 1.0a: invalid signature)` });
    const err = await extractAll(bad).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe("AUTH_FAILED");
  });

  it("still reads exactly the district through 429s, 5xx, latency, a dropped connection and a repeated record", async () => {
    const d = tiny(23);
    const peer = await start(flavour, d, {
      rateLimitEvery: 4,
      retryAfterSeconds: 0,
      serverErrorOnPage: { page: 2, times: 2, status: 502 },
      latencyMs: 15,
      dropConnectionOnRequest: 6,
      repeatRecordOnPage: 2,
    });
    const x = await extractAll(connectorFor(flavour, peer, fast()));
    expectMatchesDistrict(x, d);
  });

  it("times out a hung request, retries it and finishes", async () => {
    const d = tiny(5);
    const peer = await start(flavour, d, { hangOnRequest: 3 });
    const x = await extractAll(connectorFor(flavour, peer, fast({ http: { timeoutMs: 400 } })));
    expectMatchesDistrict(x, d);
  });

  it("aborts the in-flight request when the run is cancelled", async () => {
    const peer = await start(flavour, tiny(), { hangOnRequest: 2 });
    const ac = new AbortController();
    const c = connectorFor(flavour, peer, fast({ http: { timeoutMs: 30_000 } }));
    const run = extractAll(c, ac.signal).catch((e) => e);
    // Wait until the second request is in flight (and hanging) at the peer.
    for (let i = 0; i < 100 && peer.stats().dataRequests < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.stats().dataRequests).toBe(2);
    const t0 = Date.now();
    ac.abort();
    const err = await run;
    // Far below the 30 s request timeout: the abort reached the in-flight request.
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe("CANCELLED");
    // Nothing more was asked of the server after the cancel.
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.stats().dataRequests).toBe(2);
  });
});

describe("ONEROSTER_API with OAuth 2.0", () => {
  it("refreshes an expired token on 401 and reads everything", async () => {
    const d = tiny(3);
    const peer = await start("oneroster", d, { expireTokenAfterRequests: 3 });
    const x = await extractAll(connectorFor("oneroster", peer, fast(), { auth: "oauth2" }));
    expectMatchesDistrict(x, d);
    const stats = peer.stats();
    // Several tokens were needed (expiry every 3 requests), but far fewer than one per request.
    const tokenCalls = stats.byPath["/oauth/token"];
    expect(tokenCalls).toBeGreaterThan(2);
    expect(tokenCalls).toBeLessThan(stats.dataRequests / 2);
  });

  it("is what createConnector builds for ONEROSTER_API, with the seed's root-URL config", async () => {
    const d = tiny(8);
    const peer = (await start("oneroster", d)) as OneRosterPeer<OneRosterCredentials>;
    const c = createConnector("ONEROSTER_API", { baseUrl: peer.credentials.baseUrl, clientId: peer.credentials.clientId, clientSecret: peer.credentials.clientSecret, auth: "oauth2", tokenUrl: peer.credentials.tokenUrl }, deps());
    expectMatchesDistrict(await extractAll(c), d);
  });

  it("reads a small district (10k users, 38k enrollments) with default page size", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.small, seed: 2 });
    const peer = await start("oneroster", d);
    const x = await extractAll(connectorFor("oneroster", peer, { http: { retryBaseDelayMs: 10 } }));
    expectMatchesDistrict(x, d);
  }, 180_000);
});

describe("CLASSLINK", () => {
  it("is what createConnector builds for CLASSLINK from { clientId, clientSecret, tenantId, baseUrl }", async () => {
    const d = tiny(9);
    const peer = (await start("classlink", d)) as OneRosterPeer<ClassLinkCredentials>;
    const { clientId, clientSecret, tenantId, baseUrl } = peer.credentials;
    const c = createConnector("CLASSLINK", { clientId, clientSecret, tenantId, baseUrl }, deps());
    expectMatchesDistrict(await extractAll(c), d);
  });

  it("reports an unknown tenant with the server's message", async () => {
    const peer = await start("classlink", tiny());
    const res = await connectorFor("classlink", peer, fast(), { tenantId: "999999" }).test();
    expect(res.success).toBe(false);
    expect(res.message).toBe(`ClassLink at ${new URL(peer.url).host} answered 404 for /999999/ims/oneroster/v1p1/orgs (unknown application 999999)`);
  });
});
