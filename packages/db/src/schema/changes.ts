import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The roster change feed (issue #9): one row per change a run made to the roster, written by the
 * load in the same transaction as the change itself (an outbox), so a rolled-back load (dry run,
 * mass-removal guard, failure) reports nothing and a committed one loses nothing. `id` is the
 * feed order; the API's opaque cursor encodes it.
 *
 * kind: `schools | classes | users | enrollments` (the stats keys). action: `created | updated |
 * deactivated | reactivated` (a reactivation counts as `updated` in the run's stats).
 * `changedFields` / `before` / `after`: the fields that differ (updates, reactivations);
 * `after` holds the whole record for a creation.
 */
export const CHANGE_KINDS = ["schools", "classes", "users", "enrollments"] as const;
export const CHANGE_ACTIONS = ["created", "updated", "deactivated", "reactivated"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export const rosterChanges = pgTable(
  "roster_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: text("tenant_id").notNull(),
    runId: uuid("run_id").notNull(),
    providerId: uuid("provider_id").notNull(),
    kind: text("kind").$type<ChangeKind>().notNull(),
    action: text("action").$type<ChangeAction>().notNull(),
    entityId: uuid("entity_id").notNull(),
    externalId: text("external_id"),
    changedFields: text("changed_fields").array(),
    before: jsonb("before").$type<Record<string, unknown>>(),
    after: jsonb("after").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("roster_changes_tenant_idx").on(t.tenantId, t.id),
    index("roster_changes_run_idx").on(t.runId, t.id),
    // Retention: the pruner finds the newest change older than the cutoff here instead of scanning the table.
    index("roster_changes_created_at_idx").on(t.createdAt),
  ],
);

export type RosterChangeRow = typeof rosterChanges.$inferSelect;

/**
 * How far retention has pruned each tenant's change feed: `prunedThroughId` is the largest change
 * id removed, written in the same statement as the delete. A feed cursor before it would skip
 * removed changes, so the API answers 410 for it instead of a page with a silent gap.
 */
export const rosterChangeRetention = pgTable("roster_change_retention", {
  tenantId: text("tenant_id").primaryKey(),
  prunedThroughId: bigint("pruned_through_id", { mode: "number" }).notNull(),
  prunedAt: timestamp("pruned_at", { withTimezone: true }).notNull().defaultNow(),
});
