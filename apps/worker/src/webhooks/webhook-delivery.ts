import http from "node:http";
import https from "node:https";
import { UnrecoverableError, type Job } from "bullmq";
import { and, eq, sql } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints, type ConfigCipher, type Database } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import { webhookJobSchema } from "@sis-sync/queue";
import { assertHostAllowed, guardedLookup } from "@sis-sync/connectors";
import { changesInRange } from "@sis-sync/sync-engine";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook } from "./webhook-signature";

export interface WebhookDeliveryDeps {
  db: Database;
  cipher: ConfigCipher;
  logger: Logger;
  allowPrivateHosts: boolean;
  timeoutMs: number;
}

interface PostResult {
  status: number;
}

/**
 * One POST, no redirects followed (a 3xx is a failed attempt), every address actually dialled
 * checked against the private-range policy (the same guard as SIS hosts), a hard timeout.
 */
async function postJson(url: URL, body: string, headers: Record<string, string>, deps: WebhookDeliveryDeps): Promise<PostResult> {
  await assertHostAllowed(url.hostname, { allowPrivateHosts: deps.allowPrivateHosts });
  const lookup = guardedLookup({ allowPrivateHosts: deps.allowPrivateHosts }) as unknown as http.RequestOptions["lookup"];
  const mod = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: "POST", lookup, timeout: deps.timeoutMs, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "User-Agent": "sis-sync-webhooks/1", ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no response within ${deps.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The BullMQ processor of the webhook queue: one attempt of one delivery. */
export function createWebhookProcessor(deps: WebhookDeliveryDeps) {
  const { db, cipher, logger } = deps;
  return async function deliver(job: Job): Promise<string> {
    const { deliveryId } = webhookJobSchema.parse(job.data);
    const [delivery] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    if (!delivery || delivery.status !== "PENDING") return "skipped";
    const [endpoint] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, delivery.endpointId));
    const log = logger.child({ deliveryId, endpointId: delivery.endpointId, tenantId: delivery.tenantId, attempt: job.attemptsMade + 1 });
    if (!endpoint || endpoint.deletedAt) {
      await db.update(webhookDeliveries).set({ status: "DEAD", lastError: "The endpoint was deleted" }).where(eq(webhookDeliveries.id, deliveryId));
      return "endpoint-deleted";
    }
    const changes = await changesInRange(db, delivery.tenantId, delivery.fromChangeId, delivery.toChangeId, endpoint.kinds);
    if (changes.length < delivery.changeCount) {
      // Retention keeps a PENDING delivery's changes, but a redelivery of an old DEAD one can race
      // a prune: never send a delivery with changes missing under its old id.
      const lastError = `${delivery.changeCount - changes.length} of ${delivery.changeCount} changes were removed by the change feed's retention before delivery`;
      await db.update(webhookDeliveries).set({ status: "DEAD", lastError }).where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "PENDING")));
      log.warn("webhook delivery dead-lettered: its changes were pruned", { expected: delivery.changeCount, found: changes.length });
      return "changes-pruned";
    }
    const body = JSON.stringify({
      id: deliveryId,
      type: "roster.changes",
      tenantId: delivery.tenantId,
      webhookId: endpoint.id,
      createdAt: delivery.createdAt.toISOString(),
      changes,
    });
    const secret = cipher.decrypt<string>(endpoint.secretEncrypted, endpoint.id);
    const t = Math.floor(Date.now() / 1000);
    let status = 0;
    let error: string | null = null;
    try {
      ({ status } = await postJson(new URL(endpoint.url), body, { [SIGNATURE_HEADER]: signWebhook(secret, body, t), [DELIVERY_HEADER]: deliveryId }, deps));
      if (status < 200 || status >= 300) error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
    } catch (e) {
      error = (e as Error).message;
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const ok = error === null;
    const rows = await db
      .update(webhookDeliveries)
      .set({
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastAttemptAt: sql`now()`,
        lastStatusCode: status || null,
        lastError: error,
        ...(ok ? { status: "DELIVERED" as const, deliveredAt: sql`now()` } : lastAttempt ? { status: "DEAD" as const } : {}),
      })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, "PENDING")))
      .returning({ id: webhookDeliveries.id });
    if (ok) {
      log.info("webhook delivered", { changes: changes.length, status });
      return "delivered";
    }
    log.warn(lastAttempt ? "webhook delivery dead-lettered" : "webhook delivery failed; will retry", { status, error });
    if (rows.length === 0 || lastAttempt) throw new UnrecoverableError(`Delivery failed: ${error}`);
    throw new Error(`Delivery failed: ${error}`);
  };
}
