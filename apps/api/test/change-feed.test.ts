import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DISTRICT_SIZES, generateDistrict, mutate, startCleverPeer, type CleverPeer, type District } from "@sis-sync/sis-simulator";
import { startTestStack, waitFor, type TestStack } from "./support/test-stack";

/**
 * issue #9 through the running service: the worker decides a run's mode (full without a cursor,
 * incremental after, full on request, full with a note when the source refuses the cursor); the
 * change feed of each run matches its stats and pages in order with an opaque cursor; a webhook
 * receiver on 127.0.0.1 gets every change exactly once per delivery id with a valid signature; a
 * receiver that fails five times ends dead-lettered and gets the same delivery on request.
 */

interface Received {
  deliveryId: string;
  body: { id: string; tenantId: string; changes: { id: string; kind: string; action: string }[] };
}

/** A webhook receiver that checks the signature and can be told to fail. */
async function startReceiver(secret: () => string) {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  let failing = false;
  const badSignatures: string[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const deliveryId = String(req.headers["x-sissync-delivery"]);
      attempts.set(deliveryId, (attempts.get(deliveryId) ?? 0) + 1);
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers["x-sissync-signature"]));
      const expected = m ? createHmac("sha256", secret()).update(`${m[1]}.${raw}`).digest("hex") : null;
      if (!m || expected !== m[2] || Math.abs(Date.now() / 1000 - Number(m[1])) > 300) {
        badSignatures.push(deliveryId);
        res.writeHead(401).end();
        return;
      }
      if (failing) {
        res.writeHead(500).end("down");
        return;
      }
      // Exactly once per delivery id: a retried delivery that already arrived is acknowledged, not kept twice.
      if (!received.some((r) => r.deliveryId === deliveryId)) received.push({ deliveryId, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    attempts,
    badSignatures,
    setFailing: (f: boolean) => (failing = f),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("change feed and webhooks", () => {
  let stack: TestStack;
  let admin: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ inProcessWorker: true, env: { WEBHOOK_RETRY_BASE_MS: "20", WEBHOOK_SWEEP_MS: "200", WEBHOOK_MAX_ATTEMPTS: "5" } });
    admin = await stack.token({ roles: ["PLATFORM_ADMIN"] });
  });
  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await stack.close();
  });

  const api = <T = any>(method: string, path: string, body?: unknown) => stack.request<T>(method, path, { token: admin, body });
  const run = async (runId: string) => (await api("GET", `/api/v1/runs/${runId}`)).body;
  const terminal = (runId: string) =>
    waitFor(
      async () => {
        const r = await run(runId);
        return ["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"].includes(r.status) && r;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `run ${runId} to end` },
    );
  const sync = async (providerId: string, body?: unknown) => {
    const res = await api("POST", `/api/v1/providers/${providerId}/sync`, body);
    expect(res.status).toBe(202);
    return terminal(res.body.runId as string);
  };
  const runChanges = async (runId: string, query = "") => {
    const out: any[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = (await api("GET", `/api/v1/runs/${runId}/changes?limit=200&offset=${offset}${query}`)).body;
      out.push(...page.data);
      if (offset + 200 >= page.total) return out;
    }
  };
  /** Stats as the change feed counts them: a reactivation is an update in the stats. */
  const statsOf = (changes: { kind: string; action: string }[]) => {
    const out: Record<string, { created: number; updated: number; deactivated: number }> = {};
    for (const k of ["schools", "classes", "users", "enrollments"]) out[k] = { created: 0, updated: 0, deactivated: 0 };
    for (const c of changes) out[c.kind][c.action === "reactivated" ? "updated" : (c.action as "created" | "updated" | "deactivated")] += 1;
    return out;
  };
  const changeStats = (stats: Record<string, { created: number; updated: number; deactivated: number }>) =>
    Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, { created: s.created, updated: s.updated, deactivated: s.deactivated }]));

  async function cleverProvider(tenantId: string, district: District): Promise<{ peer: CleverPeer; providerId: string }> {
    const peer = await startCleverPeer({ district });
    closers.push(() => peer.close());
    const { clientId, clientSecret, districtId, baseUrl, tokenUrl } = peer.credentials;
    const res = await api("POST", "/api/v1/providers", {
      tenantId,
      providerType: "CLEVER",
      name: "Clever",
      config: { clientId, clientSecret, districtId, baseUrl, tokenUrl },
      options: { syncMode: "incremental", fullSyncEvery: 7 },
    });
    expect(res.status).toBe(201);
    return { peer, providerId: res.body.id };
  }

  it("records every run's changes to match its stats, pages the feed, and delivers each change once, signed", async () => {
    const tenant = "feed-a";
    let secret = "";
    const receiver = await startReceiver(() => secret);
    closers.push(receiver.close);
    const hook = await api("POST", `/api/v1/tenants/${tenant}/webhooks`, { url: receiver.url });
    expect(hook.status).toBe(201);
    expect(hook.body).toMatchObject({ tenantId: tenant, url: receiver.url, kinds: ["schools", "classes", "users", "enrollments"], secret: expect.stringMatching(/^whsec_/) });
    secret = hook.body.secret;
    const listed = await api("GET", `/api/v1/tenants/${tenant}/webhooks`);
    expect(listed.body.data).toEqual([{ id: hook.body.id, tenantId: tenant, url: receiver.url, kinds: hook.body.kinds, createdAt: hook.body.createdAt }]);

    const d0 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 61 });
    const { peer, providerId } = await cleverProvider(tenant, d0);

    // First run: no cursor yet, so full, and it says why.
    const first = await sync(providerId);
    expect(first).toMatchObject({ status: "SUCCESS", mode: "full", notes: expect.stringMatching(/no incremental cursor/) });
    const firstChanges = await runChanges(first.id);
    expect(firstChanges).toHaveLength(d0.schools.count + d0.classes.count + d0.users.count + d0.enrollments.count);
    expect(statsOf(firstChanges)).toEqual(changeStats(first.stats));
    expect(firstChanges.every((c: any) => c.action === "created" && c.after && c.runId === first.id)).toBe(true);
    const user = firstChanges.find((c: any) => c.kind === "users");
    expect(user.after).toMatchObject({ status: "active", givenName: expect.any(String), familyName: expect.any(String) });

    // Next day: the worker picks incremental (a cursor, a recent full sync).
    const { district: d1, expected } = mutate(d0, { seed: 62 });
    peer.setDistrict(d1);
    const second = await sync(providerId);
    expect(second).toMatchObject({ status: "SUCCESS", mode: "incremental", notes: null });
    expect(changeStats(second.stats)).toEqual(changeStats(expected));
    const secondChanges = await runChanges(second.id);
    expect(statsOf(secondChanges)).toEqual(changeStats(second.stats));
    const renamed = await runChanges(second.id, "&kind=users&action=updated");
    expect(renamed.length).toBe(second.stats.users.updated);
    expect(renamed.every((c: any) => c.kind === "users" && c.action === "updated" && c.changedFields.length > 0)).toBe(true);
    for (const c of renamed) for (const f of c.changedFields) expect(c.before[f]).not.toEqual(c.after[f]);
    const gone = await runChanges(second.id, "&action=deactivated");
    expect(gone.length).toBe(second.stats.users.deactivated + second.stats.classes.deactivated + second.stats.enrollments.deactivated + second.stats.schools.deactivated);

    // Full on request, nothing changed: full mode, no changes.
    const third = await sync(providerId, { mode: "full" });
    expect(third).toMatchObject({ status: "SUCCESS", mode: "full" });
    expect(await runChanges(third.id)).toEqual([]);

    // A cursor the source refuses: the run reads everything and says so.
    await stack.db.pool.query("update sis_providers set sync_cursor = '0badc0ffee0badc0ffee0bad' where id = $1", [providerId]);
    const fourth = await sync(providerId);
    expect(fourth).toMatchObject({ status: "SUCCESS", mode: "full", notes: expect.stringMatching(/fell back to a full sync/) });
    const { rows } = await stack.db.pool.query("select sync_cursor from sis_providers where id = $1", [providerId]);
    expect(rows[0].sync_cursor).not.toBe("0badc0ffee0badc0ffee0bad");

    // The tenant feed: every change once, in order, paged with the opaque cursor.
    const all = [...firstChanges, ...secondChanges];
    const feed: any[] = [];
    let after = "";
    for (;;) {
      const page = await api("GET", `/api/v1/tenants/${tenant}/changes?limit=10${after ? `&after=${after}` : ""}`);
      expect(page.status).toBe(200);
      feed.push(...page.body.data);
      after = page.body.nextCursor;
      if (!page.body.hasMore) break;
    }
    expect(feed.map((c) => c.id)).toEqual(all.map((c) => c.id));
    expect((await api("GET", `/api/v1/tenants/${tenant}/changes?after=${after}`)).body).toMatchObject({ data: [], nextCursor: after, hasMore: false });
    expect((await api("GET", `/api/v1/tenants/${tenant}/changes?after=12`)).status).toBe(400);

    // Webhooks: every change exactly once across the deliveries, each delivery once per id, signed.
    await waitFor(async () => receiver.received.reduce((n, r) => n + r.body.changes.length, 0) >= all.length || undefined, { timeoutMs: 30_000, what: "webhook deliveries" });
    const delivered = receiver.received.flatMap((r) => r.body.changes.map((c) => c.id));
    expect(delivered.sort()).toEqual(all.map((c) => c.id).sort());
    expect(receiver.badSignatures).toEqual([]);
    expect(receiver.received.every((r) => r.body.id === r.deliveryId && r.body.tenantId === tenant)).toBe(true);
    const deliveries = await api("GET", `/api/v1/tenants/${tenant}/webhooks/${hook.body.id}/deliveries?limit=200`);
    expect(deliveries.body.data.every((d: any) => d.status === "DELIVERED" && d.attempts === 1)).toBe(true);
    expect(deliveries.body.data.reduce((n: number, d: any) => n + d.changeCount, 0)).toBe(all.length);

    // Tenant rules: another district's admin sees neither the feed nor the webhooks.
    const other = await stack.token({ roles: ["DISTRICT_ADMIN"], tenantId: "someone-else" });
    expect((await stack.request("GET", `/api/v1/tenants/${tenant}/changes`, { token: other })).status).toBe(403);
    expect((await stack.request("GET", `/api/v1/tenants/${tenant}/webhooks`, { token: other })).status).toBe(403);
    expect((await stack.request("GET", `/api/v1/runs/${second.id}/changes`, { token: other })).status).toBe(404);
  });

  it("dead-letters a delivery after five failed attempts and redelivers it on request", async () => {
    const tenant = "feed-b";
    let secret = "";
    const receiver = await startReceiver(() => secret);
    closers.push(receiver.close);
    receiver.setFailing(true);
    const hook = await api("POST", `/api/v1/tenants/${tenant}/webhooks`, { url: receiver.url, kinds: ["schools"] });
    secret = hook.body.secret;
    const { providerId } = await cleverProvider(tenant, generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 71 }));
    expect((await sync(providerId)).status).toBe("SUCCESS");

    const path = `/api/v1/tenants/${tenant}/webhooks/${hook.body.id}/deliveries`;
    const dead = await waitFor(async () => (await api("GET", `${path}?status=DEAD`)).body.data[0], { timeoutMs: 30_000, what: "dead letter" });
    expect(dead).toMatchObject({ status: "DEAD", attempts: 5, changeCount: 2, lastStatusCode: 500, lastError: "HTTP 500" });
    expect(receiver.attempts.get(dead.id)).toBe(5);
    expect(receiver.received).toEqual([]);

    receiver.setFailing(false);
    const again = await api("POST", `${path}/${dead.id}/redeliver`);
    expect(again.status).toBe(202);
    const done = await waitFor(async () => (await api("GET", `${path}?status=DELIVERED`)).body.data[0], { timeoutMs: 30_000, what: "redelivery" });
    expect(done).toMatchObject({ id: dead.id, attempts: 1, lastStatusCode: 204 });
    expect(receiver.received.map((r) => [r.deliveryId, r.body.changes.map((c) => `${c.kind}:${c.action}`)])).toEqual([[dead.id, ["schools:created", "schools:created"]]]);

    expect((await api("DELETE", `/api/v1/tenants/${tenant}/webhooks/${hook.body.id}`)).status).toBe(204);
    expect((await api("GET", `/api/v1/tenants/${tenant}/webhooks`)).body.total).toBe(0);
  });

  it("refuses webhook URLs that are not http(s)", async () => {
    const res = await api("POST", "/api/v1/tenants/feed-c/webhooks", { url: "ftp://example.com/x" });
    expect(res.status).toBe(422);
  });

  it("refuses webhook URLs on private or reserved addresses when private hosts are not allowed", async () => {
    const strict = await startTestStack({ env: { SIS_ALLOW_PRIVATE_HOSTS: "false" } });
    try {
      const token = await strict.token({ roles: ["PLATFORM_ADMIN"] });
      for (const url of ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.1.2.3/x", "http://[::1]/x"]) {
        const res = await strict.request("POST", "/api/v1/tenants/strict/webhooks", { token, body: { url } });
        expect({ url, status: res.status, detail: res.body.detail }).toEqual({ url, status: 422, detail: expect.stringMatching(/private or reserved address/) });
      }
      expect((await strict.request("GET", "/api/v1/tenants/strict/webhooks", { token })).body.total).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it("documents the change feed and webhook routes in OpenAPI", async () => {
    const doc = (await stack.request("GET", "/openapi.json")).body;
    for (const path of ["/api/v1/tenants/{tenantId}/changes", "/api/v1/runs/{runId}/changes", "/api/v1/tenants/{tenantId}/webhooks", "/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});
