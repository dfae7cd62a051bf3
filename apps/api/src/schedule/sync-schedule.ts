import { CronExpressionParser } from "cron-parser";

/** The seed's schedule presets ("Schedule Presets" table). */
export const SCHEDULE_PRESETS = {
  daily: "0 2 * * *",
  "twice-daily": "0 2,14 * * *",
  "every-6-hours": "0 */6 * * *",
  weekdays: "0 6 * * 1-5",
  hourly: "0 * * * *",
  weekly: "0 0 * * 0",
} as const;

export function isValidTimezone(tz: string): boolean {
  try {
    // Only IANA names: Intl accepts them and rejects nonsense; "UTC" is IANA too.
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz);
  } catch {
    return false;
  }
}

/** A preset name or a 5-field cron expression → the cron pattern; throws a human message otherwise. */
export function resolveSchedule(schedule: string): string {
  const preset = SCHEDULE_PRESETS[schedule as keyof typeof SCHEDULE_PRESETS];
  if (preset) return preset;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(`must be a preset (${Object.keys(SCHEDULE_PRESETS).join(", ")}) or a 5-field cron expression`);
  }
  try {
    CronExpressionParser.parse(fields.join(" "), { strict: false });
  } catch (e) {
    throw new Error(`is not a valid cron expression: ${e instanceof Error ? e.message : String(e)}`);
  }
  return fields.join(" ");
}

export function nextRunAt(schedule: string | null, timezone: string, from = new Date()): Date | null {
  if (!schedule) return null;
  try {
    return CronExpressionParser.parse(resolveSchedule(schedule), { tz: timezone, currentDate: from }).next().toDate();
  } catch {
    return null;
  }
}
