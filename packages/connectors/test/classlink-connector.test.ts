import { randomUUID } from "node:crypto";
import type { ConnectorDeps } from "../src/connector-deps";
import { classLinkRoot, createClassLinkConnector } from "../src/classlink";
import { startFakeOneRoster, type FakeServer } from "./oneroster-rest-fake-server";

const noop = () => undefined;
const deps = (over: Partial<ConnectorDeps> = {}): ConnectorDeps => ({
  providerId: "cl",
  logger: { debug: noop, info: noop, warn: noop, error: noop },
  redis: null,
  redisPrefix: `t:${randomUUID()}:`,
  allowPrivateHosts: true,
  requireHttps: false,
  ...over,
});

describe("CLASSLINK connector", () => {
  let server: FakeServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("addresses the tenant on ClassLink's proxy, or a district server given by its full root", () => {
    expect(classLinkRoot({ tenantId: "2" })).toBe("https://oneroster-proxy.classlink.io/2/ims/oneroster/v1p1");
    expect(classLinkRoot({ tenantId: "MoYPlyQWmG0%3D", baseUrl: "https://oneroster-proxy.apis.classlink.com/" })).toBe(
      "https://oneroster-proxy.apis.classlink.com/MoYPlyQWmG0%3D/ims/oneroster/v1p1",
    );
    expect(classLinkRoot({ tenantId: "a b/c", baseUrl: "https://proxy.example" })).toBe("https://proxy.example/a%20b%2Fc/ims/oneroster/v1p1");
    expect(classLinkRoot({ tenantId: "2", baseUrl: "https://district-ca-v2.oneroster.com/ims/oneroster/v1p1/" })).toBe("https://district-ca-v2.oneroster.com/ims/oneroster/v1p1");
  });

  it("reads a direct Roster Server with ClassLink's payload quirks (string booleans, absolute hrefs)", async () => {
    const href = (t: string, id: string) => ({ href: `https://adobe-ca-v2.oneroster.com/ims/oneroster/v1p1/${t}s/${id}`, sourcedId: id, type: t });
    server = await startFakeOneRoster({
      auth: { kind: "oauth1", clientId: "cl-key", clientSecret: "cl-secret" },
      paging: { totalHeader: true },
      collections: {
        "/orgs": { key: "orgs", records: [{ sourcedId: "2", status: "active", name: "Adobe High", type: "school", identifier: "" }] },
        "/academicSessions": { key: "academicSessions", records: [] },
        "/courses": { key: "courses", records: [] },
        "/classes": { key: "classes", records: [{ sourcedId: "c1", status: "active", title: "Art", school: href("org", "2"), terms: [], periods: [] }] },
        "/users": {
          key: "users",
          records: [
            {
              sourcedId: "18125",
              status: "active",
              enabledUser: "true",
              role: "student",
              givenName: "Ana",
              familyName: "Lopez",
              identifier: "18125",
              userIds: [{ type: "FED", identifier: "18125" }],
              email: "",
              sms: "",
              phone: "",
              password: "",
              agents: [],
              grades: ["11"],
              orgs: [href("org", "2")],
              dateLastModified: "2019-03-01T18:14:45.000Z",
            },
          ],
        },
        "/enrollments": { key: "enrollments", records: [{ sourcedId: "e1", status: "active", role: "student", primary: "false", user: href("user", "18125"), class: href("class", "c1") }] },
      },
    });
    const c = createClassLinkConnector({ clientId: "cl-key", clientSecret: "cl-secret", tenantId: "2", baseUrl: `${server.url}/ims/oneroster/v1p1` }, deps(), { http: { retryBaseDelayMs: 5 } });
    expect(await c.test()).toEqual({ success: true, message: `Connected to ClassLink at ${new URL(server.url).host}` });
    const got: Record<string, unknown[]> = {};
    const gen = c.extract({ signal: new AbortController().signal, logger: deps().logger, mode: "full", cursor: null });
    let step = await gen.next();
    while (!step.done) {
      (got[step.value.kind] ??= []).push(...step.value.records);
      step = await gen.next();
    }
    expect(step.value.nextCursor).toBe("2019-03-01T18:14:45.000Z");
    expect(got.schools).toEqual([expect.objectContaining({ externalId: "2", name: "Adobe High", schoolNumber: null })]);
    expect(got.users).toEqual([expect.objectContaining({ externalId: "18125", email: null, studentNumber: "18125", grades: ["11"], schoolExternalIds: ["2"] })]);
    expect(got.enrollments).toEqual([expect.objectContaining({ classExternalId: "c1", userExternalId: "18125", primary: false })]);
    // Every request carried a ClassLink-style OAuth 1.0a header (verified by the fake server).
    expect(server.requests.every((r) => r.authorization?.startsWith('OAuth oauth_consumer_key="cl-key",'))).toBe(true);
  });

  it("refuses plain http when https is required, before sending anything", async () => {
    server = await startFakeOneRoster({ auth: { kind: "none" }, collections: {} });
    const c = createClassLinkConnector({ clientId: "k", clientSecret: "s", tenantId: "1", baseUrl: server.url }, deps({ requireHttps: true }));
    const res = await c.test();
    expect(res).toEqual({ success: false, message: `ClassLink URL must use https (${new URL(server.url).host})` });
    expect(server.requests).toHaveLength(0);
  });
});
