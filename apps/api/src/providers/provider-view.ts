import type { ConfigCipher, SisProviderRow, SisSyncRunRow } from "@sis-sync/db";
import { nextRunAt } from "../schedule/sync-schedule";
import { redactConfig } from "./provider-secrets";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Provider JSON of api.md; the config comes back redacted. */
export function providerView(row: SisProviderRow, cipher: ConfigCipher) {
  return {
    id: row.id,
    tenantId: row.tenantId,
    providerType: row.providerType,
    name: row.name,
    enabled: row.enabled,
    syncSchedule: row.syncSchedule,
    syncTimezone: row.syncTimezone,
    nextSyncAt: row.enabled ? iso(nextRunAt(row.syncSchedule, row.syncTimezone)) : null,
    lastSyncAt: iso(row.lastSyncAt),
    config: redactConfig(cipher.decrypt<Record<string, unknown>>(row.configEncrypted, row.id)),
    options: { createUsers: true, maxDeactivationRatio: 0.2, syncMode: "full", fullSyncEvery: 7, ...row.options },
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Run JSON of api.md. */
export function runView(run: SisSyncRunRow) {
  return {
    id: run.id,
    providerId: run.providerId,
    status: run.status,
    isManual: run.isManual,
    dryRun: run.dryRun,
    mode: run.mode,
    phase: run.phase,
    progress: run.progress,
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
    stats: run.stats,
    errorMessage: run.errorMessage,
    notes: run.notes,
  };
}
