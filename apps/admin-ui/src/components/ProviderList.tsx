import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api";
import { formatDateTime, relative } from "../format";
import { PROVIDER_LABELS } from "../provider-fields";
import { navigate } from "../router";
import { safeDescribe } from "../schedule";
import type { Provider, SyncStatusResponse } from "../types";
import { AddProviderModal } from "./AddProviderModal";
import { Link } from "./Link";
import { EnabledBadge, StatusBadge } from "./StatusBadge";

export function ProviderList({ tenantId }: { tenantId: string }) {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [statuses, setStatuses] = useState<Record<string, SyncStatusResponse>>({});
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const timer = useRef<number | null>(null);

  const load = useCallback(async () => {
    if (timer.current) window.clearTimeout(timer.current);
    timer.current = null;
    try {
      const list = await api.listProviders(tenantId);
      setProviders(list.data);
      setError(null);
      const entries = await Promise.all(list.data.map(async (p) => [p.id, await api.syncStatus(p.id).catch(() => null)] as const));
      const next: Record<string, SyncStatusResponse> = {};
      for (const [id, s] of entries) if (s) next[id] = s;
      setStatuses(next);
      // Keep the badges honest while something runs; idle lists are not polled.
      if (Object.values(next).some((s) => s.isRunning)) timer.current = window.setTimeout(() => void load(), 2000);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return; // the app shows "not allowed"
      setError((e as Error).message);
    }
  }, [tenantId]);

  useEffect(() => {
    setProviders(null);
    void load();
    return () => {
      if (timer.current) window.clearTimeout(timer.current);
    };
  }, [load]);

  const runNow = async (p: Provider) => {
    setBusyId(p.id);
    setNotice(null);
    try {
      await api.startSync(p.id, {});
      setNotice(`Sync started for ${p.name}.`);
    } catch (e) {
      setNotice(e instanceof ApiError && e.status === 409 ? `${p.name} is already syncing.` : `${p.name}: ${(e as Error).message}`);
    } finally {
      setBusyId(null);
      void load();
    }
  };

  return (
    <main className="page" id="main">
      <div className="page-head">
        <div>
          <h1>SIS integrations</h1>
          <p className="muted">Rosters from your Student Information Systems, kept in sync automatically.</p>
        </div>
        <button type="button" className="button primary" onClick={() => setAdding(true)}>
          + Add integration
        </button>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <div className="alert alert-error" role="alert">
          {error}{" "}
          <button type="button" className="button small" onClick={() => void load()}>
            Retry
          </button>
        </div>
      )}
      {!providers && !error && <p className="muted">Loading integrations…</p>}
      {providers && providers.length === 0 && (
        <div className="card empty">
          <h2>No integrations yet</h2>
          <p>Connect Clever, ClassLink, a OneRoster API or OneRoster CSV files on SFTP to bring in schools, classes, people and enrollments.</p>
          <button type="button" className="button primary" onClick={() => setAdding(true)}>
            Add your first integration
          </button>
        </div>
      )}
      {providers && providers.length > 0 && (
        <div className="card">
          <div className="table-scroll">
            <table className="table providers-table">
              <caption className="sr-only">Integrations of tenant {tenantId}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Next sync</th>
                  <th scope="col">Last sync</th>
                  <th scope="col">Last status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {providers.map((p) => {
                  const s = statuses[p.id];
                  const shown = s?.isRunning ? s.currentRun?.status ?? "IN_PROGRESS" : (s?.lastStatus ?? p.lastStatus ?? null);
                  return (
                    <tr key={p.id} data-provider-id={p.id}>
                      <th scope="row">
                        <Link to={`/providers/${p.id}`}>{p.name}</Link>
                      </th>
                      <td>{PROVIDER_LABELS[p.providerType] ?? p.providerType}</td>
                      <td>
                        <EnabledBadge enabled={p.enabled} />
                      </td>
                      <td className="schedule-cell">{safeDescribe(p.syncSchedule, p.syncTimezone)}</td>
                      <td>
                        {p.enabled && p.nextSyncAt ? (
                          <span title={formatDateTime(p.nextSyncAt)}>{relative(p.nextSyncAt)}</span>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td>{(s?.lastSync ?? p.lastSyncAt) ? <span title={formatDateTime(s?.lastSync ?? p.lastSyncAt)}>{relative(s?.lastSync ?? p.lastSyncAt)}</span> : <span className="muted">never</span>}</td>
                      <td>
                        <StatusBadge status={shown} />
                      </td>
                      <td className="actions">
                        <button
                          type="button"
                          className="button small"
                          onClick={() => void runNow(p)}
                          disabled={!p.enabled || busyId === p.id || s?.isRunning}
                          aria-label={`Run sync now for ${p.name}`}
                        >
                          {s?.isRunning ? "Syncing…" : "Sync now"}
                        </button>
                        <Link to={`/providers/${p.id}`} className="button small details-link" aria-label={`Details of ${p.name}`}>
                          Details
                        </Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {adding && (
        <AddProviderModal
          tenantId={tenantId}
          onClose={() => {
            setAdding(false);
            void load();
          }}
          onSaved={(p) => {
            setAdding(false);
            navigate(`/providers/${p.id}`);
          }}
        />
      )}
    </main>
  );
}
