import { useState, type FormEvent } from "react";
import { api, splitErrors } from "../api";
import { PROVIDER_BLURBS, PROVIDER_LABELS, buildConfig, configErrorPaths, defaultValues } from "../provider-fields";
import { PROVIDER_TYPES, type Provider, type ProviderType } from "../types";
import { ConfigFields } from "./ConfigFields";
import { Field } from "./Field";
import { Modal } from "./Modal";
import { ScheduleEditor, type ScheduleValue } from "./ScheduleEditor";
import { useFocusFirstInvalid } from "./use-focus-invalid";

const STEPS = ["Type", "Credentials", "Test connection", "Schedule"] as const;

/**
 * Add an integration step by step. The provider is created (disabled) when the credentials are
 * submitted, because testing a connection is a call on a stored provider; the last step sets the
 * schedule and enables it. Cancelling after that removes the draft.
 */
export function AddProviderModal({ tenantId, onClose, onSaved }: { tenantId: string; onClose: () => void; onSaved: (p: Provider) => void }) {
  const [step, setStep] = useState(0);
  const [type, setType] = useState<ProviderType>("CLEVER");
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>(defaultValues("CLEVER"));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<Provider | null>(null);
  const [test, setTest] = useState<{ success: boolean; message: string } | null>(null);
  const [schedule, setSchedule] = useState<ScheduleValue>({ schedule: "daily", timezone: "UTC" });
  const [enabled, setEnabled] = useState(true);
  const formRef = useFocusFirstInvalid<HTMLDivElement>(errors);

  const resetErrors = () => {
    setErrors({});
    setGeneral([]);
  };

  const cancel = async () => {
    if (draft) {
      // The draft exists only because testing needs a stored provider: don't leave it behind.
      await api.deleteProvider(draft.id).catch(() => undefined);
    }
    onClose();
  };

  const chooseType = (t: ProviderType) => {
    setType(t);
    setValues(defaultValues(t));
    resetErrors();
  };

  const runTest = async (id: string) => {
    setTest(null);
    setBusy(true);
    try {
      setTest(await api.testConnection(id));
    } catch (e) {
      setTest({ success: false, message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  const submitCredentials = async (e: FormEvent) => {
    e.preventDefault();
    resetErrors();
    setBusy(true);
    try {
      const config = buildConfig(type, values);
      const p = draft
        ? await api.updateProvider(draft.id, { name: name.trim(), config })
        : await api.createProvider({ tenantId, providerType: type, name: name.trim(), config, enabled: false });
      setDraft(p);
      setStep(2);
      setBusy(false);
      void runTest(p.id);
      return;
    } catch (err) {
      const { byPath, general } = splitErrors(err, ["name", ...configErrorPaths(type), "providerType", "tenantId"]);
      setErrors(byPath);
      setGeneral(general);
    }
    setBusy(false);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    resetErrors();
    setBusy(true);
    try {
      const p = await api.updateProvider(draft.id, {
        syncSchedule: schedule.schedule,
        syncTimezone: schedule.schedule ? schedule.timezone || "UTC" : undefined,
        enabled,
      });
      onSaved(p);
    } catch (err) {
      const { byPath, general } = splitErrors(err, ["syncSchedule", "syncTimezone", "enabled"]);
      setErrors(byPath);
      setGeneral(general);
      setBusy(false);
    }
  };

  return (
    <Modal title="Add SIS integration" onClose={() => void cancel()} wide focusKey={step}>
      <ol className="stepper" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>
            <span className="step-num" aria-hidden="true">{i < step ? "✓" : i + 1}</span> {s}
          </li>
        ))}
      </ol>

      {general.length > 0 && (
        <div className="alert alert-error" role="alert">
          {general.map((g) => (
            <p key={g}>{g}</p>
          ))}
        </div>
      )}

      <div ref={formRef}>
      {step === 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setStep(1);
          }}
        >
          <fieldset className="type-grid">
            <legend>Which system holds your rosters?</legend>
            {PROVIDER_TYPES.map((t, i) => (
              <label key={t} className={`type-card ${type === t ? "selected" : ""}`}>
                <input type="radio" name="providerType" value={t} checked={type === t} onChange={() => chooseType(t)} data-autofocus={i === 0 ? true : undefined} />
                <span className="type-name">{PROVIDER_LABELS[t]}</span>
                <span className="type-blurb">{PROVIDER_BLURBS[t]}</span>
              </label>
            ))}
          </fieldset>
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => void cancel()}>
              Cancel
            </button>
            <button type="submit" className="button primary">
              Next
            </button>
          </div>
        </form>
      )}

      {step === 1 && (
        <form onSubmit={submitCredentials} noValidate>
          <p className="muted">
            {PROVIDER_LABELS[type]}: {PROVIDER_BLURBS[type]} Secrets are stored encrypted and never shown again.
          </p>
          <Field label="Display name" error={errors.name} required>
            {(props) => <input {...props} data-autofocus value={name} placeholder={`${PROVIDER_LABELS[type]} – main district`} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <ConfigFields type={type} values={values} onChange={setValues} errors={errors} />
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => (draft ? void cancel() : setStep(0))}>
              {draft ? "Cancel" : "Back"}
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Saving…" : "Next: test connection"}
            </button>
          </div>
        </form>
      )}

      {step === 2 && draft && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setStep(3);
          }}
        >
          <p>
            Checking that sis-sync can sign in to <strong>{draft.name}</strong> and read from it.
          </p>
          <div className="test-result" aria-live="polite" data-testid="test-result">
            {busy && !test && <p className="muted"><span className="spinner" aria-hidden="true" /> Testing connection…</p>}
            {test && (
              <div className={`alert ${test.success ? "alert-success" : "alert-error"}`} role="status">
                <strong>{test.success ? "Connection OK" : "Connection failed"}</strong>
                <p>{test.message}</p>
              </div>
            )}
          </div>
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => setStep(1)}>
              Back to credentials
            </button>
            <button type="button" className="button" onClick={() => void runTest(draft.id)} disabled={busy}>
              Test again
            </button>
            <button type="submit" className="button primary" disabled={busy} data-autofocus>
              {test && !test.success ? "Continue anyway" : "Next: schedule"}
            </button>
          </div>
        </form>
      )}

      {step === 3 && draft && (
        <form onSubmit={save} noValidate>
          <ScheduleEditor value={schedule} onChange={setSchedule} errors={errors} />
          <label className="checkbox">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enable this integration now
          </label>
          <div className="modal-actions">
            <button type="button" className="button" onClick={() => setStep(2)}>
              Back
            </button>
            <button type="submit" className="button primary" disabled={busy} data-autofocus>
              {busy ? "Saving…" : "Save integration"}
            </button>
          </div>
        </form>
      )}
      </div>
    </Modal>
  );
}
