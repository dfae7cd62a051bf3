import { durationMs, formatDateTime, formatDuration } from "../format";
import { ENTITY_KINDS, type Run } from "../types";

const STATUS_COLOURS: Record<string, string> = {
  SUCCESS: "var(--ok)",
  PARTIAL: "var(--warn)",
  FAILURE: "var(--bad)",
  CANCELLED: "var(--muted)",
  IN_PROGRESS: "var(--info)",
  PENDING: "var(--info)",
};

function changes(run: Run): { created: number; updated: number; deactivated: number } {
  const out = { created: 0, updated: 0, deactivated: 0 };
  if (!run.stats) return out;
  for (const k of ENTITY_KINDS) {
    out.created += run.stats[k]?.created ?? 0;
    out.updated += run.stats[k]?.updated ?? 0;
    out.deactivated += run.stats[k]?.deactivated ?? 0;
  }
  return out;
}

/** Recent runs, oldest left: duration bars (coloured by status) and stacked change bars. Hand-drawn SVG. */
export function RunsChart({ runs }: { runs: Run[] }) {
  const items = [...runs].filter((r) => r.completedAt).reverse();
  if (items.length === 0) return null;
  const W = 560;
  const H = 110;
  const pad = 4;
  const slot = (W - pad * 2) / Math.max(items.length, 8);
  const bw = Math.max(4, slot * 0.7);
  const maxDur = Math.max(1, ...items.map((r) => durationMs(r.startedAt, r.completedAt) ?? 0));
  const maxChg = Math.max(1, ...items.map((r) => { const c = changes(r); return c.created + c.updated + c.deactivated; }));
  const totalChanges = items.reduce((a, r) => { const c = changes(r); return a + c.created + c.updated + c.deactivated; }, 0);

  return (
    <figure className="card chart" aria-label={`Last ${items.length} runs: longest ${formatDuration("1970-01-01T00:00:00Z", new Date(maxDur).toISOString())}, ${totalChanges} changes in all`}>
      <figcaption>
        <strong>Recent runs</strong> <span className="muted">(oldest on the left)</span>
      </figcaption>
      <div className="chart-row">
        <div className="chart-block">
          <h3>Duration</h3>
          <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Duration per run" preserveAspectRatio="none">
            <line x1={0} x2={W} y1={H - 0.5} y2={H - 0.5} stroke="var(--line)" />
            {items.map((r, i) => {
              const d = durationMs(r.startedAt, r.completedAt) ?? 0;
              const h = Math.max(2, (d / maxDur) * (H - 10));
              return (
                <rect key={r.id} x={pad + i * slot} y={H - h} width={bw} height={h} rx={2} fill={STATUS_COLOURS[r.status] ?? "var(--muted)"}>
                  <title>{`${formatDateTime(r.startedAt)}: ${r.status}, ${formatDuration(r.startedAt, r.completedAt)}`}</title>
                </rect>
              );
            })}
          </svg>
          <p className="chart-scale muted">max {formatDuration("1970-01-01T00:00:00Z", new Date(maxDur).toISOString())}</p>
        </div>
        <div className="chart-block">
          <h3>Changes</h3>
          <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Created, updated and deactivated records per run" preserveAspectRatio="none">
            <line x1={0} x2={W} y1={H - 0.5} y2={H - 0.5} stroke="var(--line)" />
            {items.map((r, i) => {
              const c = changes(r);
              const scale = (H - 10) / maxChg;
              const hc = c.created * scale;
              const hu = c.updated * scale;
              const hd = c.deactivated * scale;
              const x = pad + i * slot;
              return (
                <g key={r.id}>
                  <title>{`${formatDateTime(r.startedAt)}: ${c.created} created, ${c.updated} updated, ${c.deactivated} deactivated`}</title>
                  <rect x={x} y={H - hc} width={bw} height={hc} fill="var(--ok)" />
                  <rect x={x} y={H - hc - hu} width={bw} height={hu} fill="var(--info)" />
                  <rect x={x} y={H - hc - hu - hd} width={bw} height={hd} fill="var(--bad)" />
                  {hc + hu + hd === 0 && <rect x={x} y={H - 2} width={bw} height={2} fill="var(--line)" />}
                </g>
              );
            })}
          </svg>
          <p className="chart-scale muted">
            <span className="swatch" style={{ background: "var(--ok)" }} /> created <span className="swatch" style={{ background: "var(--info)" }} /> updated{" "}
            <span className="swatch" style={{ background: "var(--bad)" }} /> deactivated · max {maxChg.toLocaleString()}
          </p>
        </div>
      </div>
    </figure>
  );
}
