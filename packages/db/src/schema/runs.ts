import type { EntityKind, KindStats, RosterStats } from "@sis-sync/roster";
import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sisProviders } from "./providers";

export const SYNC_STATUSES = ["PENDING", "IN_PROGRESS", "SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export const LIVE_STATUSES = ["PENDING", "IN_PROGRESS"] as const satisfies readonly SyncStatus[];
export const SYNC_PHASES = ["extract", "stage", "load", "done"] as const;
export type SyncPhase = (typeof SYNC_PHASES)[number];

export const syncStatusEnum = pgEnum("sis_sync_status", SYNC_STATUSES);
export const syncPhaseEnum = pgEnum("sis_sync_phase", SYNC_PHASES);


export type { KindStats };
/** The run row's `stats`: the roster package's per-kind counts. */
export type RunStats = RosterStats;
export type RunProgress = Partial<Record<EntityKind, number>>;

export const sisSyncRuns = pgTable(
  "sis_sync_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    providerId: uuid("provider_id")
      .notNull()
      .references(() => sisProviders.id),
    tenantId: text("tenant_id").notNull(),
    status: syncStatusEnum("status").notNull().default("PENDING"),
    isManual: boolean("is_manual").notNull(),
    dryRun: boolean("dry_run").notNull().default(false),
    force: boolean("force").notNull().default(false),
    mode: text("mode").notNull().default("full"),
    phase: syncPhaseEnum("phase"),
    progress: jsonb("progress").$type<RunProgress>().notNull().default({}),
    stats: jsonb("stats").$type<RunStats>(),
    errorMessage: text("error_message"),
    /** What the run wants an admin to know beyond its status, e.g. an incremental run that fell back to full (issue #9). */
    notes: text("notes"),
    attempt: integer("attempt").notNull().default(0),
    workerId: text("worker_id"),
    /** Refreshed by the worker while it runs; a stale heartbeat means the worker was lost. */
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [
    // At most one live run per provider, enforced by the database (issue #2).
    uniqueIndex("sis_sync_runs_one_live_per_provider")
      .on(t.providerId)
      .where(sql`${t.status} in ('PENDING', 'IN_PROGRESS')`),
    index("sis_sync_runs_provider_created_idx").on(t.providerId, t.createdAt),
    index("sis_sync_runs_live_idx").on(t.status).where(sql`${t.status} in ('PENDING', 'IN_PROGRESS')`),
  ],
);

export const sisRunErrors = pgTable(
  "sis_run_errors",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: uuid("run_id")
      .notNull()
      .references(() => sisSyncRuns.id, { onDelete: "cascade" }),
    entityType: text("entity_type").notNull(),
    externalId: text("external_id"),
    message: text("message").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("sis_run_errors_run_idx").on(t.runId, t.id)],
);

export type SisSyncRunRow = typeof sisSyncRuns.$inferSelect;
export type SisRunErrorRow = typeof sisRunErrors.$inferSelect;
