import { emptyStats, type SyncOutcome, type SyncRunContext } from "./sync-pipeline";

/** extract → stage → load for one run (filled in by the sync-engine issue). */
export async function executeSync(ctx: SyncRunContext): Promise<SyncOutcome> {
  await ctx.setPhase("extract");
  return { status: "FAILURE", stats: emptyStats(), errorMessage: "Sync engine not implemented yet" };
}
