import { ENTITY_KINDS, type EntityKind } from "./canonical";

/** Per-kind counts of a run (api.md "Sync runs"); the same shape as the run row's `stats`. */
export interface KindStats {
  created: number;
  updated: number;
  deactivated: number;
  unchanged: number;
  errors: number;
}
export type RosterStats = Record<EntityKind, KindStats>;

export function emptyKindStats(): KindStats {
  return { created: 0, updated: 0, deactivated: 0, unchanged: 0, errors: 0 };
}

export function emptyRosterStats(): RosterStats {
  return { schools: emptyKindStats(), classes: emptyKindStats(), users: emptyKindStats(), enrollments: emptyKindStats() };
}

export function totalErrors(stats: RosterStats): number {
  return ENTITY_KINDS.reduce((n, k) => n + stats[k].errors, 0);
}

/** A finished run is PARTIAL when any record was rejected (api.md "Sync runs"). */
export function finishedStatus(stats: RosterStats): "SUCCESS" | "PARTIAL" {
  return totalErrors(stats) > 0 ? "PARTIAL" : "SUCCESS";
}

export interface DeactivationCheck {
  kind: EntityKind;
  /** Active entities of this kind held by the provider before the run. */
  activeBefore: number;
  /** How many of them the run would deactivate. */
  deactivating: number;
}

/**
 * The mass-removal guard: a kind may lose at most `maxRatio` of its active entities in one run
 * ("more than" trips it, so 20 % of 10 is still allowed). Returns the kinds over the limit.
 */
export function overDeactivationLimit(checks: readonly DeactivationCheck[], maxRatio: number): DeactivationCheck[] {
  return checks.filter((c) => c.deactivating > 0 && c.deactivating > maxRatio * c.activeBefore);
}

function pct(n: number): string {
  return `${Math.round(n * 1000) / 10}%`;
}

/** The FAILURE message: says how many, of what, and why nothing was deactivated. */
export function deactivationGuardMessage(over: readonly DeactivationCheck[], maxRatio: number): string {
  const parts = over.map((c) => `${c.deactivating} of ${c.activeBefore} active ${c.kind} (${pct(c.activeBefore ? c.deactivating / c.activeBefore : 1)})`);
  return (
    `Sync stopped before deactivating anything: it would deactivate ${parts.join(", ")}, ` +
    `more than the ${pct(maxRatio)} allowed by maxDeactivationRatio. ` +
    `Check the SIS export; if the removals are intended, run a manual sync with force: true.`
  );
}
