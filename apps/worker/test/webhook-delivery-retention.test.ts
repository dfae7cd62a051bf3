import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Job } from "bullmq";
import { ConfigCipher } from "@sis-sync/db";
import { createTestDatabase, type TestDatabase } from "@sis-sync/db/testing";
import { createLogger } from "@sis-sync/logger";
import { createWebhookProcessor } from "../src/webhooks/webhook-delivery";

/**
 * Change feed retention (issue #9) seen from the webhook worker: a delivery is rebuilt from its
 * change range on every attempt, so one whose changes were pruned (a redelivery racing the
 * pruner) is dead-lettered with the reason instead of being sent with changes missing.
 */

let tdb: TestDatabase;
let server: Server;
let url: string;
let deliver: ReturnType<typeof createWebhookProcessor>;
const bodies: { changes: unknown[] }[] = [];
const cipher = new ConfigCipher([{ id: "k1", key: randomBytes(32) }]);
const TENANT = "ret-w";

beforeAll(async () => {
  tdb = await createTestDatabase();
  deliver = createWebhookProcessor({ db: tdb.db, cipher, logger: createLogger({ level: "error", service: "test" }), allowPrivateHosts: true, timeoutMs: 5_000 });
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      bodies.push(JSON.parse(raw));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await tdb?.drop();
});

const job = (deliveryId: string) => ({ data: { deliveryId }, attemptsMade: 0, opts: { attempts: 5 } }) as unknown as Job;

async function endpointWithDelivery(changes: number, changeCount: number): Promise<string> {
  const endpointId = randomUUID();
  await tdb.pool.query(
    `insert into webhook_endpoints (id, tenant_id, url, kinds, secret_encrypted) values ($1, $2, $3, '{users}', $4)`,
    [endpointId, TENANT, url, cipher.encrypt("whsec_test", endpointId)],
  );
  const { rows } = await tdb.pool.query<{ id: string }>(
    `insert into roster_changes (tenant_id, run_id, provider_id, kind, action, entity_id, after)
     select $1, gen_random_uuid(), gen_random_uuid(), 'users', 'created', gen_random_uuid(), '{}'::jsonb from generate_series(1, $2::int)
     returning id`,
    [TENANT, changes],
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const { rows: d } = await tdb.pool.query<{ id: string }>(
    `insert into webhook_deliveries (endpoint_id, tenant_id, from_change_id, to_change_id, change_count) values ($1, $2, $3, $4, $5) returning id`,
    [endpointId, TENANT, ids[0] - 1, ids[ids.length - 1] + (changeCount - changes), changeCount],
  );
  return d[0].id;
}

describe("webhook delivery and retention", () => {
  it("sends a delivery whose changes are all kept", async () => {
    const id = await endpointWithDelivery(3, 3);
    await expect(deliver(job(id))).resolves.toBe("delivered");
    expect(bodies.map((b) => b.changes.length)).toEqual([3]);
  });

  it("dead-letters a delivery whose changes were pruned instead of sending it incomplete", async () => {
    bodies.length = 0;
    const id = await endpointWithDelivery(1, 3);
    await expect(deliver(job(id))).resolves.toBe("changes-pruned");
    expect(bodies).toEqual([]);
    const { rows } = await tdb.pool.query("select status, last_error from webhook_deliveries where id = $1", [id]);
    expect(rows[0]).toEqual({ status: "DEAD", last_error: "2 of 3 changes were removed by the change feed's retention before delivery" });
  });
});
