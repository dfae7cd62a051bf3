import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { ConfigCipher, sisProviders, sisSyncRuns, type Database, type SisProviderRow } from "@sis-sync/db";
import { createConnector, providerConfigSchemas, type ConnectorDeps, type ProviderType } from "@sis-sync/connectors";
import type { Logger } from "@sis-sync/logger";
import type { SyncProducer } from "@sis-sync/queue";
import { ConnectorError } from "@sis-sync/roster";
import { zodFieldErrors } from "../errors/error-handler";
import { conflict, unavailable, unprocessable, type FieldError } from "../errors/http-errors";
import { isValidTimezone, resolveSchedule } from "../schedule/sync-schedule";
import type { CreateProviderBody, UpdateProviderBody } from "./provider.schemas";
import { findLiveRun } from "./provider.queries";
import { containsMask, mergeConfig } from "./provider-secrets";

export interface ProviderServiceDeps {
  db: Database;
  cipher: ConfigCipher;
  producer: SyncProducer;
  logger: Logger;
  connectorDeps: Omit<ConnectorDeps, "providerId">;
}

const TEST_TIMEOUT_MS = 30_000;

function validateConfig(type: ProviderType, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = providerConfigSchemas[type].safeParse(config);
  if (!parsed.success) throw unprocessable(`config does not fit a ${type} provider`, zodFieldErrors(parsed.error, ["config"]));
  return parsed.data as Record<string, unknown>;
}

function validateSchedule(schedule: string | null | undefined, timezone: string | undefined): FieldError[] {
  const errors: FieldError[] = [];
  if (schedule) {
    try {
      resolveSchedule(schedule);
    } catch (e) {
      errors.push({ path: "syncSchedule", message: `syncSchedule ${(e as Error).message}` });
    }
  }
  if (timezone !== undefined && !isValidTimezone(timezone)) errors.push({ path: "syncTimezone", message: "syncTimezone must be an IANA timezone name such as America/Chicago" });
  return errors;
}

const UNIQUE_VIOLATION = "23505";
const pgCode = (e: unknown) => (e as { code?: string; cause?: { code?: string } })?.code ?? (e as { cause?: { code?: string } })?.cause?.code;

export class ProviderService {
  constructor(private readonly deps: ProviderServiceDeps) {}

  /** The BullMQ scheduler follows the row: enabled + schedule → upsert, else remove. */
  private async syncSchedule(row: Pick<SisProviderRow, "id" | "enabled" | "syncSchedule" | "syncTimezone" | "deletedAt">): Promise<void> {
    if (row.enabled && row.syncSchedule && !row.deletedAt) {
      await this.deps.producer.upsertSchedule({ providerId: row.id, cron: resolveSchedule(row.syncSchedule), timezone: row.syncTimezone });
    } else {
      await this.deps.producer.removeSchedule(row.id);
    }
  }

  async create(body: CreateProviderBody): Promise<SisProviderRow> {
    const errors = validateSchedule(body.syncSchedule, body.syncTimezone);
    if (errors.length) throw unprocessable("Invalid schedule", errors);
    if (containsMask(body.config)) throw unprocessable("config must not contain the mask value", [{ path: "config", message: "send real credentials, not ********" }]);
    const config = validateConfig(body.providerType, body.config);
    const id = randomUUID();
    // The scheduler is written inside the transaction: if Redis refuses, the row is not kept.
    return this.deps.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sisProviders)
        .values({
          id,
          tenantId: body.tenantId,
          providerType: body.providerType,
          name: body.name,
          configEncrypted: this.deps.cipher.encrypt(config, id),
          enabled: body.enabled ?? true,
          syncSchedule: body.syncSchedule ?? null,
          syncTimezone: body.syncTimezone ?? "UTC",
          options: body.options ?? {},
        })
        .returning();
      await this.syncSchedule(row);
      return row;
    });
  }

  async update(current: SisProviderRow, body: UpdateProviderBody): Promise<SisProviderRow> {
    const errors = validateSchedule(body.syncSchedule, body.syncTimezone);
    if (errors.length) throw unprocessable("Invalid schedule", errors);
    let configEncrypted: string | undefined;
    if (body.config) {
      const stored = this.deps.cipher.decrypt<Record<string, unknown>>(current.configEncrypted, current.id);
      const merged = validateConfig(current.providerType, mergeConfig(stored, body.config));
      configEncrypted = this.deps.cipher.encrypt(merged, current.id);
    }
    return this.deps.db.transaction(async (tx) => {
      const [row] = await tx
        .update(sisProviders)
        .set({
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          ...(body.syncSchedule !== undefined ? { syncSchedule: body.syncSchedule } : {}),
          ...(body.syncTimezone !== undefined ? { syncTimezone: body.syncTimezone } : {}),
          ...(body.options ? { options: { ...current.options, ...body.options } } : {}),
          ...(configEncrypted ? { configEncrypted } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(sisProviders.id, current.id))
        .returning();
      await this.syncSchedule(row);
      return row;
    });
  }

  /** Soft delete: history and roster sources keep pointing at the row; schedule and live run go. */
  async remove(current: SisProviderRow): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const [row] = await tx.update(sisProviders).set({ deletedAt: sql`now()`, enabled: false, updatedAt: sql`now()` }).where(eq(sisProviders.id, current.id)).returning();
      await this.syncSchedule(row);
    });
    const live = await findLiveRun(this.deps.db, current.id);
    if (live) await this.cancel(current.id);
  }

  async test(row: SisProviderRow): Promise<{ success: boolean; message: string }> {
    try {
      const connector = createConnector(row.providerType, this.deps.cipher.decrypt(row.configEncrypted, row.id), { ...this.deps.connectorDeps, providerId: row.id });
      const result = await connector.test(AbortSignal.timeout(TEST_TIMEOUT_MS));
      return { success: result.success, message: result.message };
    } catch (e) {
      if (e instanceof ConnectorError) return { success: false, message: e.message };
      this.deps.logger.warn("connection test crashed", { providerId: row.id, err: e });
      return { success: false, message: `Connection test failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  async triggerSync(row: SisProviderRow, opts: { dryRun?: boolean; force?: boolean; mode?: "full" | "incremental" }): Promise<{ runId: string; status: "PENDING" }> {
    if (!row.enabled) throw unprocessable("Provider disabled");
    let runId: string;
    try {
      const [run] = await this.deps.db
        .insert(sisSyncRuns)
        .values({ providerId: row.id, tenantId: row.tenantId, isManual: true, dryRun: opts.dryRun ?? false, force: opts.force ?? false, mode: opts.mode ?? "auto" })
        .returning({ id: sisSyncRuns.id });
      runId = run.id;
    } catch (e) {
      if (pgCode(e) !== UNIQUE_VIOLATION) throw e;
      const live = await findLiveRun(this.deps.db, row.id);
      throw conflict("A sync is already pending or running for this provider", { runId: live?.id ?? null });
    }
    try {
      await this.deps.producer.enqueueManualRun({ runId, providerId: row.id });
    } catch (e) {
      await this.deps.db
        .update(sisSyncRuns)
        .set({ status: "FAILURE", errorMessage: "Could not queue the sync (job queue unavailable)", completedAt: sql`now()`, phase: "done" })
        .where(eq(sisSyncRuns.id, runId));
      this.deps.logger.error("enqueue failed", { runId, err: e });
      throw unavailable("The job queue is unavailable; the sync was not started");
    }
    return { runId, status: "PENDING" };
  }

  async cancel(providerId: string): Promise<{ runId: string; status: string }> {
    const live = await findLiveRun(this.deps.db, providerId);
    if (!live) throw conflict("No sync is pending or running for this provider");
    await this.deps.producer.cancel(live.id);
    if (live.status === "PENDING" && (await this.deps.producer.removeWaitingJob(live.id))) {
      const [ended] = await this.deps.db
        .update(sisSyncRuns)
        .set({ status: "CANCELLED", errorMessage: "Cancelled on request before it started", completedAt: sql`now()`, phase: "done" })
        .where(and(eq(sisSyncRuns.id, live.id), eq(sisSyncRuns.status, "PENDING")))
        .returning({ status: sisSyncRuns.status });
      if (ended) return { runId: live.id, status: ended.status };
    }
    // A worker holds it: it sees the flag within a second and ends the run CANCELLED.
    return { runId: live.id, status: live.status };
  }
}
