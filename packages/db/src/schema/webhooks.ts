import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Webhook endpoints of a tenant (issue #9). `secretEncrypted` is the HMAC secret sealed with the
 * ConfigCipher (bound to the endpoint id); it is shown once, at creation. `lastChangeId` is the
 * dispatcher's watermark: changes up to it are already in a delivery of this endpoint.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    url: text("url").notNull(),
    /** Entity kinds the endpoint wants (`schools`, `classes`, `users`, `enrollments`). */
    kinds: text("kinds").array().notNull(),
    secretEncrypted: text("secret_encrypted").notNull(),
    lastChangeId: bigint("last_change_id", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [index("webhook_endpoints_tenant_idx").on(t.tenantId).where(sql`${t.deletedAt} is null`)],
);

export const WEBHOOK_DELIVERY_STATUSES = ["PENDING", "DELIVERED", "DEAD"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One batch of changes for one endpoint: the changes of the endpoint's kinds with ids in
 * (fromChangeId, toChangeId]. The body is rebuilt from that range on every attempt, so a retry or a
 * redelivery sends the same changes under the same delivery id. `DEAD` is the dead-letter state.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    tenantId: text("tenant_id").notNull(),
    fromChangeId: bigint("from_change_id", { mode: "number" }).notNull(),
    toChangeId: bigint("to_change_id", { mode: "number" }).notNull(),
    changeCount: integer("change_count").notNull(),
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt),
    // Few rows: the change feed's pruner keeps the changes of these, and the orphan sweep reads them.
    index("webhook_deliveries_pending_idx").on(t.tenantId, t.fromChangeId).where(sql`${t.status} = 'PENDING'`),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
