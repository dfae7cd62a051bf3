import { randomBytes, randomUUID } from "node:crypto";
import { Router } from "express";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { AppConfig } from "@sis-sync/config";
import { CHANGE_KINDS, WEBHOOK_DELIVERY_STATUSES, rosterChanges, webhookDeliveries, webhookEndpoints, type ConfigCipher, type Database, type WebhookDeliveryRow, type WebhookEndpointRow } from "@sis-sync/db";
import { assertHostAllowed } from "@sis-sync/connectors";
import type { WebhookProducer } from "@sis-sync/queue";
import { countChangesInRange } from "@sis-sync/sync-engine";
import { assertTenantRoute, authOf } from "../auth/auth.middleware";
import { gone, notFound, unavailable, unprocessable } from "../errors/http-errors";
import { parseBody, parseQuery } from "../http/validate";
import { pageQuerySchema, uuidParam } from "../providers/provider.schemas";

export const createWebhookBodySchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2000),
  /** Entity kinds to receive; all four when omitted. */
  kinds: z.array(z.enum(CHANGE_KINDS)).min(1).optional(),
});

export const deliveriesQuerySchema = pageQuerySchema.extend({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function webhookView(row: WebhookEndpointRow) {
  return { id: row.id, tenantId: row.tenantId, url: row.url, kinds: row.kinds, createdAt: iso(row.createdAt) };
}

export function deliveryView(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    webhookId: row.endpointId,
    status: row.status,
    changeCount: row.changeCount,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: iso(row.createdAt),
    lastAttemptAt: iso(row.lastAttemptAt),
    deliveredAt: iso(row.deliveredAt),
  };
}

export interface WebhooksRouterDeps {
  db: Database;
  cipher: ConfigCipher;
  config: AppConfig;
  producer: WebhookProducer;
}

/**
 * Webhook endpoints of a tenant (issue #9). The signing secret is generated here and returned
 * once, by the create call; it is stored sealed with the ConfigCipher. Outbound URLs pass the same
 * private-address check as SIS hosts (here, and again on every delivery's connect).
 */
export function webhooksRouter({ db, cipher, config, producer }: WebhooksRouterDeps): Router {
  const router = Router();

  async function loadEndpoint(tenantId: string, id: string): Promise<WebhookEndpointRow> {
    if (!uuidParam.safeParse(id).success) throw notFound("Webhook");
    const [row] = await db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId), isNull(webhookEndpoints.deletedAt)));
    if (!row) throw notFound("Webhook");
    return row;
  }

  router.post("/tenants/:tenantId/webhooks", async (req, res) => {
    const tenantId = req.params.tenantId;
    assertTenantRoute(authOf(res), tenantId);
    const body = parseBody(createWebhookBodySchema, req.body);
    const url = new URL(body.url);
    if (config.NODE_ENV === "production" && url.protocol !== "https:") throw unprocessable("Webhook URLs must use https", [{ path: "url", message: "must be https" }]);
    try {
      await assertHostAllowed(url.hostname, { allowPrivateHosts: config.SIS_ALLOW_PRIVATE_HOSTS });
    } catch (e) {
      throw unprocessable((e as Error).message, [{ path: "url", message: (e as Error).message }]);
    }
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString("base64url")}`;
    // A new endpoint receives the changes made from now on, not the tenant's whole history.
    const [{ maxId }] = await db.select({ maxId: sql<string | null>`max(${rosterChanges.id})` }).from(rosterChanges).where(eq(rosterChanges.tenantId, tenantId));
    const [row] = await db
      .insert(webhookEndpoints)
      .values({ id, tenantId, url: url.toString(), kinds: body.kinds ? [...new Set(body.kinds)] : [...CHANGE_KINDS], secretEncrypted: cipher.encrypt(secret, id), lastChangeId: Number(maxId ?? 0) })
      .returning();
    res.status(201).json({ ...webhookView(row), secret });
  });

  router.get("/tenants/:tenantId/webhooks", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const { limit, offset } = parseQuery(pageQuerySchema, req.query);
    const where = and(eq(webhookEndpoints.tenantId, req.params.tenantId), isNull(webhookEndpoints.deletedAt));
    const rows = await db.select().from(webhookEndpoints).where(where).orderBy(desc(webhookEndpoints.createdAt)).limit(limit).offset(offset);
    const [{ n }] = await db.select({ n: count() }).from(webhookEndpoints).where(where);
    res.json({ data: rows.map(webhookView), total: Number(n), limit, offset });
  });

  router.get("/tenants/:tenantId/webhooks/:webhookId", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    res.json(webhookView(await loadEndpoint(req.params.tenantId, req.params.webhookId)));
  });

  router.delete("/tenants/:tenantId/webhooks/:webhookId", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const row = await loadEndpoint(req.params.tenantId, req.params.webhookId);
    await db.update(webhookEndpoints).set({ deletedAt: sql`now()` }).where(eq(webhookEndpoints.id, row.id));
    res.status(204).end();
  });

  router.get("/tenants/:tenantId/webhooks/:webhookId/deliveries", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const row = await loadEndpoint(req.params.tenantId, req.params.webhookId);
    const q = parseQuery(deliveriesQuerySchema, req.query);
    const where = and(eq(webhookDeliveries.endpointId, row.id), q.status ? eq(webhookDeliveries.status, q.status) : undefined);
    const rows = await db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.toChangeId)).limit(q.limit).offset(q.offset);
    const [{ n }] = await db.select({ n: count() }).from(webhookDeliveries).where(where);
    res.json({ data: rows.map(deliveryView), total: Number(n), limit: q.limit, offset: q.offset });
  });

  /** Sends a delivery again (typically a dead-lettered one) under the same delivery id, with a fresh retry budget. */
  router.post("/tenants/:tenantId/webhooks/:webhookId/deliveries/:deliveryId/redeliver", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const endpoint = await loadEndpoint(req.params.tenantId, req.params.webhookId);
    if (!uuidParam.safeParse(req.params.deliveryId).success) throw notFound("Delivery");
    const [before] = await db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, req.params.deliveryId), eq(webhookDeliveries.endpointId, endpoint.id)));
    if (!before) throw notFound("Delivery");
    // A delivery is rebuilt from its change range; once retention removed some of those changes it
    // can only be sent incomplete, so refuse it (the worker also dead-letters one that loses its changes later).
    const kept = await countChangesInRange(db, before.tenantId, before.fromChangeId, before.toChangeId, endpoint.kinds);
    if (kept < before.changeCount) {
      throw gone(
        `${before.changeCount - kept} of this delivery's ${before.changeCount} changes were removed by the change feed's retention, so it can no longer be sent. ` +
          "Re-read the roster from the roster routes instead.",
      );
    }
    const [row] = await db
      .update(webhookDeliveries)
      .set({ status: "PENDING", attempts: 0, lastError: null, lastStatusCode: null, deliveredAt: null })
      .where(eq(webhookDeliveries.id, before.id))
      .returning();
    try {
      await producer.redeliver(row.id, config.WEBHOOK_MAX_ATTEMPTS, config.WEBHOOK_RETRY_BASE_MS);
    } catch {
      await db.update(webhookDeliveries).set({ status: before.status, attempts: before.attempts, lastError: before.lastError }).where(eq(webhookDeliveries.id, before.id));
      throw unavailable("The delivery queue is unavailable; try again");
    }
    res.status(202).json(deliveryView(row));
  });

  return router;
}
