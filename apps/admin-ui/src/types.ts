// Shapes from /work/shared/spec/api.md (the HTTP contract). Kept by hand: the UI bundle must not
// pull in the server packages (zod schemas, drizzle, node built-ins).

export const PROVIDER_TYPES = ["CLEVER", "CLASSLINK", "ONEROSTER_API", "ONEROSTER_CSV"] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const ENTITY_KINDS = ["schools", "classes", "users", "enrollments"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export type SyncStatus = "PENDING" | "IN_PROGRESS" | "SUCCESS" | "PARTIAL" | "FAILURE" | "CANCELLED";
export type SyncPhase = "extract" | "stage" | "load" | "done";

export interface Provider {
  id: string;
  tenantId: string;
  providerType: ProviderType;
  name: string;
  enabled: boolean;
  syncSchedule: string | null;
  syncTimezone: string | null;
  nextSyncAt: string | null;
  lastSyncAt: string | null;
  config: Record<string, unknown>;
  options?: { createUsers?: boolean; maxDeactivationRatio?: number } | null;
  createdAt: string;
  updatedAt: string;
  /** Not in every API version; when present it saves a status call per row. */
  lastStatus?: SyncStatus | null;
}

export interface KindStats {
  created: number;
  updated: number;
  deactivated: number;
  unchanged: number;
  errors: number;
}
export type RunStats = Record<EntityKind, KindStats>;
export type RunProgress = Partial<Record<EntityKind, number>>;

export interface Run {
  id: string;
  providerId: string;
  status: SyncStatus;
  isManual: boolean;
  dryRun: boolean;
  phase: SyncPhase | null;
  progress: RunProgress | null;
  startedAt: string | null;
  completedAt: string | null;
  stats: RunStats | null;
  errorMessage: string | null;
  createdAt?: string;
  /** issue #9: "auto" until a worker decides; notes say why an incremental run was full. */
  mode?: "auto" | "full" | "incremental";
  notes?: string | null;
}

export type ChangeKind = "schools" | "classes" | "users" | "enrollments";
export type ChangeAction = "created" | "updated" | "deactivated" | "reactivated";

export interface RosterChange {
  id: string;
  runId: string;
  kind: ChangeKind;
  action: ChangeAction;
  entityId: string;
  externalId: string | null;
  changedFields: string[] | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

export interface SyncStatusResponse {
  isRunning: boolean;
  lastSync: string | null;
  lastStatus: SyncStatus | null;
  currentRun?: { id: string; status: SyncStatus; phase: SyncPhase | null; progress: RunProgress | null; dryRun?: boolean } | null;
}

export interface RecordError {
  entityType: string;
  externalId: string | null;
  message: string;
}

export interface ListResponse<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface FieldError {
  path: string;
  message: string;
}
