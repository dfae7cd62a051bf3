import { useEffect, useState } from "react";
import { api } from "../api";
import { formatDateTime, formatDuration } from "../format";
import type { ListResponse, Provider, RecordError, Run } from "../types";
import { Link } from "./Link";
import { Pager } from "./Pager";
import { RunChanges } from "./RunChanges";
import { StatsTable } from "./StatsTable";
import { StatusBadge } from "./StatusBadge";

const PAGE = 25;

export function RunDetail({ providerId, runId }: { providerId: string; runId: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [provider, setProvider] = useState<Provider | null>(null);
  const [errors, setErrors] = useState<ListResponse<RecordError> | null>(null);
  const [offset, setOffset] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    api.getRun(runId).then(setRun, (e: Error) => setProblem(e.message));
    api.getProvider(providerId).then(setProvider, () => undefined);
  }, [runId, providerId]);
  useEffect(() => {
    api.runErrors(runId, PAGE, offset).then(setErrors, () => undefined);
  }, [runId, offset]);

  return (
    <main className="page" id="main">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/">Integrations</Link> <span aria-hidden="true">›</span> <Link to={`/providers/${providerId}`}>{provider?.name ?? "Integration"}</Link>{" "}
        <span aria-hidden="true">›</span> <Link to={`/providers/${providerId}/history`}>History</Link> <span aria-hidden="true">›</span> <span aria-current="page">Run</span>
      </nav>
      <h1>Sync run</h1>
      {problem && <div className="alert alert-error" role="alert">{problem}</div>}
      {run && (
        <>
          <section className="card">
            <dl className="facts">
              <div>
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={run.status} />
                </dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>
                  {run.isManual ? "Manual" : "Scheduled"}
                  {run.dryRun && " · dry run (nothing written)"}
                </dd>
              </div>
              {run.mode && run.mode !== "auto" && (
                <div>
                  <dt>Mode</dt>
                  <dd>{run.mode === "incremental" ? "Incremental" : "Full"}</dd>
                </div>
              )}
              <div>
                <dt>Started</dt>
                <dd>{formatDateTime(run.startedAt)}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{formatDateTime(run.completedAt)}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>{formatDuration(run.startedAt, run.completedAt)}</dd>
              </div>
              <div>
                <dt>Phase</dt>
                <dd>{run.phase ?? "—"}</dd>
              </div>
            </dl>
            {run.notes && <p className="muted">{run.notes}</p>}
            {run.errorMessage && (
              <div className="alert alert-error" role="alert">
                {run.errorMessage}
              </div>
            )}
          </section>
          {run.stats && (
            <section className="card">
              <StatsTable stats={run.stats} caption={run.dryRun ? "What a sync would change" : "Changes by kind"} dryRun={run.dryRun} />
            </section>
          )}
          {!run.dryRun && run.stats && <RunChanges runId={runId} />}
          <section className="card" aria-labelledby="rec-errors">
            <h2 id="rec-errors">Record errors</h2>
            {errors && errors.total === 0 && <p className="muted">No record errors.</p>}
            {errors && errors.total > 0 && (
              <>
                <div className="table-scroll">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">Kind</th>
                        <th scope="col">External ID</th>
                        <th scope="col">Problem</th>
                      </tr>
                    </thead>
                    <tbody>
                      {errors.data.map((e, i) => (
                        <tr key={`${offset}-${i}`}>
                          <td>{e.entityType}</td>
                          <td className="mono">{e.externalId ?? "—"}</td>
                          <td>{e.message}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager total={errors.total} limit={PAGE} offset={offset} onChange={setOffset} label="Record errors" />
              </>
            )}
          </section>
        </>
      )}
    </main>
  );
}
