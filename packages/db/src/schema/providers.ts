import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const providerTypeEnum = pgEnum("sis_provider_type", ["CLEVER", "CLASSLINK", "ONEROSTER_API", "ONEROSTER_CSV"]);

export const sisProviders = pgTable(
  "sis_providers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    providerType: providerTypeEnum("provider_type").notNull(),
    name: text("name").notNull(),
    /** AES-256-GCM envelope (see crypto/config-cipher.ts); never the clear config. */
    configEncrypted: text("config_encrypted").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    syncSchedule: text("sync_schedule"),
    syncTimezone: text("sync_timezone").notNull().default("UTC"),
    options: jsonb("options").$type<Record<string, unknown>>().notNull().default({}),
    lastSyncAt: timestamp("last_sync_at", { withTimezone: true }),
    /** Incremental-sync cursor, advanced only by a successful run. */
    syncCursor: text("sync_cursor"),
    lastFullSyncAt: timestamp("last_full_sync_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** DELETE keeps the row (run history and roster sources point at it) but hides it everywhere. */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [index("sis_providers_tenant_idx").on(t.tenantId).where(sql`${t.deletedAt} is null`)],
);

export type SisProviderRow = typeof sisProviders.$inferSelect;
export type NewSisProviderRow = typeof sisProviders.$inferInsert;
