import { useEffect, useState } from "react";
import { api } from "../api";
import { formatDateTime, formatDuration, num } from "../format";
import { ENTITY_KINDS, type ListResponse, type Run } from "../types";
import { Link } from "./Link";
import { Pager } from "./Pager";
import { RunsChart } from "./RunsChart";
import { StatusBadge } from "./StatusBadge";

const PAGE = 10;

function KindCell({ run, kind }: { run: Run; kind: (typeof ENTITY_KINDS)[number] }) {
  const s = run.stats?.[kind];
  if (!s) return <td className="num muted">—</td>;
  return (
    <td className="num kind-cell" aria-label={`${s.created} created, ${s.updated} updated, ${s.deactivated} deactivated`} data-kind={kind}>
      <span className="c-created" title="created">+{num(s.created)}</span> <span className="c-updated" title="updated">~{num(s.updated)}</span>{" "}
      <span className="c-deactivated" title="deactivated">−{num(s.deactivated)}</span>
    </td>
  );
}

/** The provider's runs, newest first, paged, with a chart of the most recent ones. */
export function RunHistory({ providerId, refreshKey }: { providerId: string; refreshKey: number }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ListResponse<Run> | null>(null);
  const [recent, setRecent] = useState<Run[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .listRuns(providerId, PAGE, offset)
      .then((p) => live && (setPage(p), setError(null)))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [providerId, offset, refreshKey]);

  useEffect(() => {
    let live = true;
    api
      .listRuns(providerId, 20, 0)
      .then((p) => live && setRecent(p.data))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [providerId, refreshKey]);

  return (
    <section aria-labelledby="history-heading" className="history">
      <h2 id="history-heading">Sync history</h2>
      <RunsChart runs={recent} />
      {error && <div className="alert alert-error" role="alert">{error}</div>}
      {page && page.total === 0 && <p className="empty">No syncs yet. Run one from the Overview tab.</p>}
      {page && page.total > 0 && (
        <div className="card">
          <div className="table-scroll">
            <table className="table runs-table">
              <caption className="sr-only">Sync runs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Started</th>
                  <th scope="col" className="num">Duration</th>
                  {ENTITY_KINDS.map((k) => (
                    <th key={k} scope="col" className="num">
                      {k[0].toUpperCase() + k.slice(1)}
                    </th>
                  ))}
                  <th scope="col" className="num">Errors</th>
                  <th scope="col"><span className="sr-only">Details</span></th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((r) => {
                  const errors = r.stats ? ENTITY_KINDS.reduce((a, k) => a + (r.stats![k]?.errors ?? 0), 0) : 0;
                  return (
                    <tr key={r.id} data-run-id={r.id} data-status={r.status}>
                      <td>
                        <StatusBadge status={r.status} />
                      </td>
                      <td>
                        {r.isManual ? "Manual" : "Scheduled"}
                        {r.dryRun && <span className="pill pill-dry">dry run</span>}
                      </td>
                      <td>{formatDateTime(r.startedAt ?? r.createdAt)}</td>
                      <td className="num">{formatDuration(r.startedAt, r.completedAt)}</td>
                      {ENTITY_KINDS.map((k) => (
                        <KindCell key={k} run={r} kind={k} />
                      ))}
                      <td className={`num ${errors > 0 || r.status === "FAILURE" ? "text-error" : ""}`} title={r.errorMessage ?? undefined}>
                        {num(errors)}
                        {r.errorMessage && <span className={`run-error-msg ${r.status === "CANCELLED" ? "muted" : ""}`}>{r.errorMessage}</span>}
                      </td>
                      <td>
                        <Link to={`/providers/${providerId}/runs/${r.id}`} aria-label={`Details of the run started ${formatDateTime(r.startedAt ?? r.createdAt)}`}>
                          Details
                        </Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="legend muted">
            Per kind: <span className="c-created">+created</span> <span className="c-updated">~updated</span> <span className="c-deactivated">−deactivated</span>
          </p>
          <Pager total={page.total} limit={PAGE} offset={offset} onChange={setOffset} label="Sync runs" />
        </div>
      )}
    </section>
  );
}
