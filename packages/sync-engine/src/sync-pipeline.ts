import type { Database } from "@sis-sync/db";
import type { RunProgress, RunStats, SyncPhase } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import type { SisConnector, SyncMode } from "@sis-sync/roster";
import type { Pool } from "pg";

export interface SyncRunInfo {
  id: string;
  providerId: string;
  tenantId: string;
  dryRun: boolean;
  /** A manual sync sent with `force: true` may pass the mass-deactivation guard. */
  force: boolean;
  mode: SyncMode;
}

export interface SyncProviderInfo {
  id: string;
  tenantId: string;
  providerType: string;
  options: { createUsers: boolean; maxDeactivationRatio: number };
  /** Incremental cursor stored by the last successful run. */
  syncCursor: string | null;
  /** The provider's `syncMode` is incremental (issue #9): full reads also return a cursor. */
  incremental?: boolean;
}

/** What the worker hands the engine for one run; the worker owns the run row's lifecycle. */
export interface SyncRunContext {
  db: Database;
  /** The same pool, for COPY streams. */
  pool: Pool;
  run: SyncRunInfo;
  provider: SyncProviderInfo;
  connector: SisConnector;
  /** Aborted on cancel or worker shutdown; check between pages and batches. */
  signal: AbortSignal;
  logger: Logger;
  setPhase(phase: SyncPhase): Promise<void>;
  /** Cheap to call often: the worker throttles writes. */
  reportProgress(progress: RunProgress): void;
}

export type SyncOutcomeStatus = "SUCCESS" | "PARTIAL" | "FAILURE" | "CANCELLED";

export interface SyncOutcome {
  status: SyncOutcomeStatus;
  stats: RunStats;
  /** Human message for FAILURE / CANCELLED (never a secret). */
  errorMessage: string | null;
  /** Cursor to store on the provider when the run succeeds (incremental syncs). */
  nextCursor?: string | null;
  /** An incremental run whose source could not serve a delta read everything instead (a full sync). */
  fellBackToFull?: boolean;
}
