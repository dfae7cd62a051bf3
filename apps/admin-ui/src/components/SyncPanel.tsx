import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api";
import { formatDuration, num } from "../format";
import { ENTITY_KINDS, type Provider, type Run, type RunStats, type SyncPhase, type SyncStatusResponse } from "../types";
import { StatsTable } from "./StatsTable";
import { StatusBadge } from "./StatusBadge";

const PHASES: { id: SyncPhase; label: string; hint: string }[] = [
  { id: "extract", label: "Extract", hint: "reading from the SIS" },
  { id: "stage", label: "Stage", hint: "checking and matching records" },
  { id: "load", label: "Load", hint: "applying changes" },
  { id: "done", label: "Done", hint: "" },
];

const POLL_MS = 1000;

/** How many records of each kind the last finished run saw: the scale for the progress bars. */
export function expectedCounts(stats: RunStats | null | undefined): Partial<Record<string, number>> {
  if (!stats) return {};
  const out: Record<string, number> = {};
  for (const k of ENTITY_KINDS) {
    const s = stats[k];
    if (s) out[k] = s.created + s.updated + s.unchanged + s.errors;
  }
  return out;
}

function hasAnyChange(stats: RunStats): boolean {
  return ENTITY_KINDS.some((k) => Object.values(stats[k] ?? {}).some((n) => n > 0));
}

/**
 * "Run sync now" with a dry-run option, a live progress view (polls sync/status), Cancel, and the
 * result of the run once it ends.
 */
export function SyncPanel({ provider, previousStats, onFinished }: { provider: Provider; previousStats: RunStats | null; onFinished: (run: Run) => void }) {
  const [status, setStatus] = useState<SyncStatusResponse | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [force, setForce] = useState(false);
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState<Run | null>(null);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const liveRunId = useRef<string | null>(null);
  const timer = useRef<number | null>(null);
  const onFinishedRef = useRef(onFinished);
  onFinishedRef.current = onFinished;

  const poll = useCallback(async () => {
    timer.current = null;
    let s: SyncStatusResponse;
    try {
      s = await api.syncStatus(provider.id);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) return;
      timer.current = window.setTimeout(poll, POLL_MS * 3);
      return;
    }
    setStatus(s);
    if (s.isRunning && s.currentRun) {
      liveRunId.current = s.currentRun.id;
      timer.current = window.setTimeout(poll, POLL_MS);
      return;
    }
    const runId = liveRunId.current;
    liveRunId.current = null;
    setCancelling(false);
    if (runId) {
      try {
        const run = await api.getRun(runId);
        setFinished(run);
        onFinishedRef.current(run);
      } catch {
        /* the status line still shows the last status */
      }
    }
  }, [provider.id]);

  useEffect(() => {
    void poll();
    return () => {
      if (timer.current) window.clearTimeout(timer.current);
    };
  }, [poll]);

  const start = async () => {
    setError(null);
    setFinished(null);
    setStarting(true);
    try {
      const res = await api.startSync(provider.id, { dryRun, ...(force ? { force: true } : {}) });
      liveRunId.current = res.runId;
      setStartedAt(Date.now());
      setStatus((s) => ({ isRunning: true, lastSync: s?.lastSync ?? null, lastStatus: s?.lastStatus ?? null, currentRun: { id: res.runId, status: "PENDING", phase: null, progress: {}, dryRun } }));
      if (timer.current) window.clearTimeout(timer.current);
      timer.current = window.setTimeout(poll, 300);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && typeof e.body?.runId === "string") {
        // Someone (or the schedule) already started one: follow it instead.
        liveRunId.current = e.body.runId;
        setError("A sync is already running for this integration; showing its progress.");
        void poll();
      } else {
        setError(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setStarting(false);
    }
  };

  const cancel = async () => {
    setCancelling(true);
    setError(null);
    try {
      await api.cancelSync(provider.id);
    } catch (e) {
      setCancelling(false);
      if (!(e instanceof ApiError && e.status === 409)) setError(e instanceof Error ? e.message : String(e));
    }
  };

  const running = !!(status?.isRunning && status.currentRun);
  const current = status?.currentRun;
  const phaseIndex = current?.phase ? PHASES.findIndex((p) => p.id === current.phase) : -1;
  const expected = expectedCounts(previousStats);

  return (
    <section className="card sync-panel" aria-labelledby="sync-heading">
      <div className="card-header">
        <h2 id="sync-heading">Sync</h2>
      </div>

      {!running && (
        <div className="sync-controls">
          <button type="button" className="button primary" onClick={() => void start()} disabled={starting || !provider.enabled}>
            {starting ? "Starting…" : dryRun ? "Preview sync (dry run)" : "Run sync now"}
          </button>
          <label className="checkbox">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run: show what would change, write nothing
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force past the deactivation safety limit
          </label>
          {!provider.enabled && <p className="muted">This integration is disabled: enable it to sync.</p>}
        </div>
      )}

      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}

      {running && current && (
        <div className="sync-progress" data-testid="sync-progress" aria-live="polite">
          <div className="sync-progress-head">
            <StatusBadge status={current.status} />
            {current.dryRun && <span className="pill">Dry run</span>}
            <span className="muted">{startedAt ? `running for ${formatDuration(new Date(startedAt).toISOString(), null)}` : ""}</span>
            <button type="button" className="button danger" onClick={() => void cancel()} disabled={cancelling}>
              {cancelling ? "Cancelling…" : "Cancel sync"}
            </button>
          </div>
          <ol className="phases" aria-label="Sync phases">
            {PHASES.map((p, i) => (
              <li key={p.id} className={i < phaseIndex ? "done" : i === phaseIndex ? "current" : ""} aria-current={i === phaseIndex ? "step" : undefined}>
                <span className="phase-label">{p.label}</span>
                {p.hint && <span className="phase-hint">{p.hint}</span>}
              </li>
            ))}
          </ol>
          <div className="kind-bars">
            {ENTITY_KINDS.map((k) => {
              const seen = current.progress?.[k] ?? 0;
              const total = expected[k];
              const pct = total ? Math.min(100, Math.round((seen / total) * 100)) : null;
              return (
                <div className="kind-bar" key={k}>
                  <span className="kind-name">{k[0].toUpperCase() + k.slice(1)}</span>
                  <div
                    className={`bar ${pct === null && seen > 0 ? "bar-indeterminate" : ""}`}
                    role="progressbar"
                    aria-label={`${k} processed`}
                    aria-valuemin={0}
                    aria-valuemax={total ?? undefined}
                    aria-valuenow={seen}
                    aria-valuetext={total ? `${seen} of about ${total}` : `${seen} so far`}
                  >
                    <div className="bar-fill" style={{ width: `${pct ?? (seen > 0 ? 100 : 0)}%` }} />
                  </div>
                  <span className="kind-count">
                    {num(seen)}
                    {total ? <span className="muted"> / ~{num(total)}</span> : null}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      )}

      {!running && finished && (
        <div className="sync-result" data-testid="sync-result" role="status">
          <p>
            {finished.dryRun ? "Dry run finished" : "Sync finished"}: <StatusBadge status={finished.status} /> in {formatDuration(finished.startedAt, finished.completedAt)}
            {finished.dryRun && <strong> — nothing was written.</strong>}
          </p>
          {finished.errorMessage && <p className="text-error">{finished.errorMessage}</p>}
          {finished.stats && (finished.status === "SUCCESS" || finished.status === "PARTIAL" || hasAnyChange(finished.stats)) && <StatsTable stats={finished.stats} caption={finished.dryRun ? "What a sync would change" : "Changes"} dryRun={finished.dryRun} />}
        </div>
      )}
    </section>
  );
}
