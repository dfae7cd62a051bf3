import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError, api } from "../api";
import { useApiForm } from "../use-api-form";
import { formatDateTime, relative } from "../format";
import { MASK, PROVIDER_FIELDS, PROVIDER_LABELS, buildConfig, configErrorPaths, valuesFromConfig } from "../provider-fields";
import { navigate } from "../router";
import { safeDescribe } from "../schedule";
import type { Provider, Run, RunStats, SyncStatus } from "../types";
import { ConfigFields } from "./ConfigFields";
import { Field } from "./Field";
import { Link } from "./Link";
import { Modal } from "./Modal";
import { RunHistory } from "./RunHistory";
import { ScheduleEditor, type ScheduleValue } from "./ScheduleEditor";
import { EnabledBadge, StatusBadge } from "./StatusBadge";
import { SyncPanel } from "./SyncPanel";
import { useFocusFirstInvalid } from "./use-focus-invalid";

export function ProviderDetails({ providerId, tab }: { providerId: string; tab: "overview" | "history" }) {
  const [provider, setProvider] = useState<Provider | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [lastStatus, setLastStatus] = useState<SyncStatus | null>(null);
  const [lastSync, setLastSync] = useState<string | null>(null);
  const [previousStats, setPreviousStats] = useState<RunStats | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const [editingCreds, setEditingCreds] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [toggleBusy, setToggleBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setProvider(await api.getProvider(providerId));
      setProblem(null);
    } catch (e) {
      setProblem(e instanceof ApiError && e.status === 404 ? "This integration does not exist or was deleted." : (e as Error).message);
    }
    api.syncStatus(providerId).then(
      (s) => {
        setLastStatus(s.lastStatus);
        setLastSync(s.lastSync);
      },
      () => undefined,
    );
    api
      .listRuns(providerId, 10, 0)
      .then((p) => setPreviousStats(p.data.find((r) => r.stats && !r.dryRun && (r.status === "SUCCESS" || r.status === "PARTIAL"))?.stats ?? null), () => undefined);
  }, [providerId]);

  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  const onSyncFinished = useCallback((_run: Run) => setRefreshKey((k) => k + 1), []);

  if (problem && !provider) {
    return (
      <main className="page" id="main">
        <nav className="breadcrumbs" aria-label="Breadcrumb">
          <Link to="/">Integrations</Link>
        </nav>
        <div className="alert alert-error" role="alert">{problem}</div>
      </main>
    );
  }
  if (!provider) return <main className="page" id="main"><p className="muted">Loading…</p></main>;

  const toggleEnabled = async () => {
    setToggleBusy(true);
    try {
      const p = await api.updateProvider(provider.id, { enabled: !provider.enabled });
      setProvider(p);
      setNotice(p.enabled ? "Integration enabled." : "Integration disabled: no scheduled or manual syncs will run.");
    } catch (e) {
      setNotice((e as Error).message);
    } finally {
      setToggleBusy(false);
    }
  };

  return (
    <main className="page" id="main">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to="/">Integrations</Link> <span aria-hidden="true">›</span> <span aria-current="page">{provider.name}</span>
      </nav>
      <div className="page-head">
        <div>
          <h1>{provider.name}</h1>
          <p className="muted">
            {PROVIDER_LABELS[provider.providerType]} · <EnabledBadge enabled={provider.enabled} /> · last status <StatusBadge status={lastStatus} />
          </p>
        </div>
        <button type="button" role="switch" aria-checked={provider.enabled} className={`switch ${provider.enabled ? "on" : ""}`} onClick={() => void toggleEnabled()} disabled={toggleBusy}>
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          {provider.enabled ? "Enabled" : "Disabled"}
        </button>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}

      <div className="tabs" role="navigation" aria-label="Integration sections">
        <Link to={`/providers/${provider.id}`} aria-current={tab === "overview" ? "page" : undefined} className={tab === "overview" ? "tab active" : "tab"}>
          Overview
        </Link>
        <Link to={`/providers/${provider.id}/history`} aria-current={tab === "history" ? "page" : undefined} className={tab === "history" ? "tab active" : "tab"}>
          Sync history
        </Link>
      </div>

      {tab === "overview" && (
        <div className="grid-2">
          <div className="stack">
            <SyncPanel provider={provider} previousStats={previousStats} onFinished={onSyncFinished} />
            <ScheduleCard provider={provider} onSaved={setProvider} />
          </div>
          <div className="stack">
            <section className="card" aria-labelledby="status-heading">
              <h2 id="status-heading">Status</h2>
              <dl className="facts">
                <div>
                  <dt>Last sync</dt>
                  <dd>
                    {formatDateTime(lastSync ?? provider.lastSyncAt)} <span className="muted">{relative(lastSync ?? provider.lastSyncAt)}</span>
                  </dd>
                </div>
                <div>
                  <dt>Last status</dt>
                  <dd>
                    <StatusBadge status={lastStatus} />
                  </dd>
                </div>
                <div>
                  <dt>Next sync</dt>
                  <dd>
                    {provider.enabled && provider.nextSyncAt ? (
                      <>
                        {formatDateTime(provider.nextSyncAt)} <span className="muted">{relative(provider.nextSyncAt)}</span>
                      </>
                    ) : (
                      "—"
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Added</dt>
                  <dd>{formatDateTime(provider.createdAt)}</dd>
                </div>
              </dl>
            </section>
            <CredentialsCard provider={provider} onEdit={() => setEditingCreds(true)} />
            <OptionsCard provider={provider} onSaved={setProvider} />
            <section className="card danger-zone" aria-labelledby="danger-heading">
              <h2 id="danger-heading">Delete integration</h2>
              <p className="muted">Stops its schedule and any running sync. Run history and roster data stay.</p>
              <button type="button" className="button danger" onClick={() => setDeleting(true)}>
                Delete integration…
              </button>
            </section>
          </div>
        </div>
      )}
      {tab === "history" && <RunHistory providerId={provider.id} refreshKey={refreshKey} />}

      {editingCreds && (
        <EditCredentialsModal
          provider={provider}
          onClose={() => setEditingCreds(false)}
          onSaved={(p) => {
            setProvider(p);
            setEditingCreds(false);
            setNotice("Credentials saved.");
          }}
        />
      )}
      {deleting && <DeleteModal provider={provider} onClose={() => setDeleting(false)} />}
    </main>
  );
}

function ScheduleCard({ provider, onSaved }: { provider: Provider; onSaved: (p: Provider) => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState<ScheduleValue>({ schedule: provider.syncSchedule, timezone: provider.syncTimezone || "UTC" });
  const { errors, general, busy, submit, reset } = useApiForm(["syncSchedule", "syncTimezone"]);
  const formRef = useFocusFirstInvalid<HTMLFormElement>(errors);

  const startEdit = () => {
    setValue({ schedule: provider.syncSchedule, timezone: provider.syncTimezone || "UTC" });
    reset();
    setEditing(true);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    await submit(async () => {
      const p = await api.updateProvider(provider.id, { syncSchedule: value.schedule, ...(value.schedule ? { syncTimezone: value.timezone || "UTC" } : {}) });
      onSaved(p);
      setEditing(false);
    });
  };

  return (
    <section className="card" aria-labelledby="schedule-heading">
      <div className="card-header">
        <h2 id="schedule-heading">Schedule</h2>
        {!editing && (
          <button type="button" className="button small" onClick={startEdit}>
            Edit schedule
          </button>
        )}
      </div>
      {!editing && (
        <>
          <p className="schedule-words" data-testid="schedule-text">
            {safeDescribe(provider.syncSchedule, provider.syncTimezone)}
          </p>
          {provider.syncSchedule && <p className="muted mono">{provider.syncSchedule}</p>}
        </>
      )}
      {editing && (
        <form onSubmit={save} noValidate ref={formRef}>
          {general.length > 0 && <div className="alert alert-error" role="alert">{general.join(" ")}</div>}
          <ScheduleEditor value={value} onChange={setValue} errors={errors} />
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Saving…" : "Save schedule"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function CredentialsCard({ provider, onEdit }: { provider: Provider; onEdit: () => void }) {
  const values = valuesFromConfig(provider.providerType, provider.config ?? {});
  const [test, setTest] = useState<{ success: boolean; message: string } | null>(null);
  const [testing, setTesting] = useState(false);
  const runTest = async () => {
    setTesting(true);
    setTest(null);
    try {
      setTest(await api.testConnection(provider.id));
    } catch (e) {
      setTest({ success: false, message: (e as Error).message });
    } finally {
      setTesting(false);
    }
  };
  return (
    <section className="card" aria-labelledby="creds-heading">
      <div className="card-header">
        <h2 id="creds-heading">Connection</h2>
        <div className="button-row">
          <button type="button" className="button small" onClick={() => void runTest()} disabled={testing}>
            {testing ? "Testing…" : "Test connection"}
          </button>
          <button type="button" className="button small" onClick={onEdit}>
            Edit credentials
          </button>
        </div>
      </div>
      <dl className="facts facts-compact">
        {PROVIDER_FIELDS[provider.providerType]
          .filter((f) => !f.uiOnly && values[f.key] !== undefined && values[f.key] !== "")
          .map((f) => (
            <div key={f.key}>
              <dt>{f.label}</dt>
              <dd className="mono">{values[f.key] === MASK ? "••••••••" : values[f.key]}</dd>
            </div>
          ))}
      </dl>
      <div aria-live="polite">
        {test && (
          <div className={`alert ${test.success ? "alert-success" : "alert-error"}`} role="status">
            <strong>{test.success ? "Connection OK" : "Connection failed"}</strong> {test.message}
          </div>
        )}
      </div>
    </section>
  );
}

function EditCredentialsModal({ provider, onClose, onSaved }: { provider: Provider; onClose: () => void; onSaved: (p: Provider) => void }) {
  const [name, setName] = useState(provider.name);
  const [values, setValues] = useState(() => valuesFromConfig(provider.providerType, provider.config ?? {}));
  const { errors, general, busy, submit } = useApiForm(["name", ...configErrorPaths(provider.providerType)]);
  const formRef = useFocusFirstInvalid<HTMLFormElement>(errors);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    // Unchanged secrets go back as "********", which the API reads as "keep the stored value".
    await submit(async () => onSaved(await api.updateProvider(provider.id, { name: name.trim(), config: buildConfig(provider.providerType, values) })));
  };

  return (
    <Modal title={`Edit ${provider.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate ref={formRef}>
        {general.length > 0 && <div className="alert alert-error" role="alert">{general.join(" ")}</div>}
        <Field label="Display name" error={errors.name} required>
          {(props) => <input {...props} data-autofocus value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ConfigFields type={provider.providerType} values={values} onChange={setValues} errors={errors} editing />
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Saving…" : "Save credentials"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteModal({ provider, onClose }: { provider: Provider; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.deleteProvider(provider.id);
      navigate("/");
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Modal title="Delete integration?" onClose={onClose}>
      <form onSubmit={confirm}>
        <p>
          <strong>{provider.name}</strong> will stop syncing. Its schedule is removed and a running sync is cancelled. Run history and the roster it brought in are kept.
        </p>
        <Field label={`Type the name to confirm: ${provider.name}`} required>
          {(props) => <input {...props} data-autofocus autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />}
        </Field>
        {error && <div className="alert alert-error" role="alert">{error}</div>}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep it
          </button>
          <button type="submit" className="button danger" disabled={busy || typed.trim() !== provider.name.trim()}>
            {busy ? "Deleting…" : "Delete integration"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function OptionsCard({ provider, onSaved }: { provider: Provider; onSaved: (p: Provider) => void }) {
  const createUsers = provider.options?.createUsers ?? true;
  const ratio = provider.options?.maxDeactivationRatio ?? 0.2;
  const [editing, setEditing] = useState(false);
  const [create, setCreate] = useState(createUsers);
  const [percent, setPercent] = useState(String(Math.round(ratio * 100)));
  const { errors, general, busy, submit } = useApiForm(["options.createUsers", "options.maxDeactivationRatio"]);
  const formRef = useFocusFirstInvalid<HTMLFormElement>(errors);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const n = Number(percent);
    await submit(async () => {
      onSaved(await api.updateProvider(provider.id, { options: { createUsers: create, maxDeactivationRatio: percent.trim() === "" || Number.isNaN(n) ? percent : n / 100 } }));
      setEditing(false);
    });
  };

  return (
    <section className="card" aria-labelledby="options-heading">
      <div className="card-header">
        <h2 id="options-heading">Sync rules</h2>
        {!editing && (
          <button
            type="button"
            className="button small"
            onClick={() => {
              setCreate(createUsers);
              setPercent(String(Math.round(ratio * 100)));
              setEditing(true);
            }}
          >
            Edit rules
          </button>
        )}
      </div>
      {!editing ? (
        <dl className="facts">
          <div>
            <dt>Unmatched people</dt>
            <dd>{createUsers ? "Created as new users" : "Skipped (listed as record errors)"}</dd>
          </div>
          <div>
            <dt>Deactivation safety limit</dt>
            <dd>{Math.round(ratio * 100)}% of a kind per sync</dd>
          </div>
        </dl>
      ) : (
        <form onSubmit={save} noValidate ref={formRef}>
          {general.length > 0 && <div className="alert alert-error" role="alert">{general.join(" ")}</div>}
          <label className="checkbox">
            <input type="checkbox" checked={create} onChange={(e) => setCreate(e.target.checked)} /> Create users for people who match no one in the district
          </label>
          {errors["options.createUsers"] && <p className="field-error" role="alert">{errors["options.createUsers"]}</p>}
          <Field
            label="Deactivation safety limit (%)"
            required
            error={errors["options.maxDeactivationRatio"]}
            help="A sync that would deactivate more than this share of a kind's active records deactivates nothing and fails, unless forced."
          >
            {(props) => <input {...props} type="number" min={0} max={100} step={1} inputMode="numeric" value={percent} onChange={(e) => setPercent(e.target.value)} />}
          </Field>
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Saving…" : "Save rules"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
