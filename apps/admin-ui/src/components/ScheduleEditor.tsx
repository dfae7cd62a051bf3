import { useId, useMemo, useState } from "react";
import { SCHEDULE_PRESETS, cronProblem, describeSchedule, formatInZone, isValidTimezone, nextRuns, timezoneNames } from "../schedule";
import { Field } from "./Field";

export interface ScheduleValue {
  schedule: string | null;
  timezone: string;
}

type Mode = "manual" | "preset" | "custom";

function modeOf(schedule: string | null): Mode {
  if (!schedule) return "manual";
  return SCHEDULE_PRESETS.some((p) => p.name === schedule) ? "preset" : "custom";
}

/**
 * Manual / one of the seed's presets / a custom 5-field cron, plus an IANA timezone, with a live
 * preview (the schedule in words and the next three runs). The API re-validates; its errors for
 * `syncSchedule` / `syncTimezone` arrive in `errors` and show beside the fields.
 */
export function ScheduleEditor({ value, onChange, errors }: { value: ScheduleValue; onChange: (v: ScheduleValue) => void; errors: Record<string, string> }) {
  const [mode, setMode] = useState<Mode>(() => modeOf(value.schedule));
  const [custom, setCustom] = useState(() => (modeOf(value.schedule) === "custom" ? value.schedule ?? "" : "0 3 * * *"));
  const [preset, setPreset] = useState(() => (modeOf(value.schedule) === "preset" ? value.schedule! : "daily"));
  const zones = useMemo(timezoneNames, []);
  const listId = useId();
  const groupName = useId();

  const choose = (m: Mode) => {
    setMode(m);
    onChange({ ...value, schedule: m === "manual" ? null : m === "preset" ? preset : custom });
  };

  const schedule = value.schedule;
  const localProblem = mode === "custom" && schedule ? cronProblem(schedule) : null;
  const tzProblem = value.timezone && !isValidTimezone(value.timezone) ? "Unknown timezone: use an IANA name such as America/Chicago" : null;
  let preview: { words: string; next: string[] } | null = null;
  if (schedule && !localProblem) {
    try {
      const tz = tzProblem ? "UTC" : value.timezone || "UTC";
      preview = { words: describeSchedule(schedule, tz), next: nextRuns(schedule, tz, 3).map((d) => formatInZone(d, tz)) };
    } catch {
      preview = null;
    }
  }

  return (
    <div className="schedule-editor">
      <fieldset className="radio-group">
        <legend>Sync schedule</legend>
        {(
          [
            ["manual", "Manual only", "Run syncs yourself with “Run sync now”."],
            ["preset", "Preset", "A common schedule."],
            ["custom", "Custom cron", "A 5-field cron expression."],
          ] as const
        ).map(([m, label, hint]) => (
          <label key={m} className="radio">
            <input type="radio" name={groupName} value={m} checked={mode === m} onChange={() => choose(m)} />
            <span>
              {label} <span className="muted">— {hint}</span>
            </span>
          </label>
        ))}
      </fieldset>

      {mode === "preset" && (
        <Field label="Preset" error={errors.syncSchedule} required>
          {(props) => (
            <select
              {...props}
              value={preset}
              onChange={(e) => {
                setPreset(e.target.value);
                onChange({ ...value, schedule: e.target.value });
              }}
            >
              {SCHEDULE_PRESETS.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.label} ({p.cron})
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {mode === "custom" && (
        <Field
          label="Cron expression"
          required
          error={errors.syncSchedule ?? localProblem ?? undefined}
          help={<>minute hour day-of-month month day-of-week, e.g. <code>30 5 * * 1-5</code></>}
        >
          {(props) => (
            <input
              {...props}
              className="mono"
              spellCheck={false}
              autoComplete="off"
              value={custom}
              onChange={(e) => {
                setCustom(e.target.value);
                onChange({ ...value, schedule: e.target.value });
              }}
            />
          )}
        </Field>
      )}
      {mode !== "manual" && (
        <Field label="Timezone" error={errors.syncTimezone ?? tzProblem ?? undefined} help="IANA name; the schedule follows daylight saving time in this zone.">
          {(props) => (
            <>
              <input {...props} list={listId} autoComplete="off" spellCheck={false} value={value.timezone} onChange={(e) => onChange({ ...value, timezone: e.target.value })} />
              <datalist id={listId}>
                {zones.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      )}
      {mode === "manual" && errors.syncSchedule && <p className="field-error" role="alert">{errors.syncSchedule}</p>}
      <div className="schedule-preview" aria-live="polite">
        {mode === "manual" ? (
          <p>No automatic syncs.</p>
        ) : preview ? (
          <>
            <p className="schedule-words" data-testid="schedule-preview">{preview.words}</p>
            {preview.next.length > 0 && (
              <p className="muted">
                Next runs: {preview.next.join(" · ")}
              </p>
            )}
          </>
        ) : (
          <p className="muted">Enter a valid cron expression to see a preview.</p>
        )}
      </div>
    </div>
  );
}
