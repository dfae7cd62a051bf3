import cronstrue from "cronstrue";

/** The seed's schedule presets ("Schedule Presets" in seed-sis-sync-service.md). */
export const SCHEDULE_PRESETS = [
  { name: "daily", cron: "0 2 * * *", label: "Daily at 2 AM" },
  { name: "twice-daily", cron: "0 2,14 * * *", label: "Twice daily (2 AM and 2 PM)" },
  { name: "every-6-hours", cron: "0 */6 * * *", label: "Every 6 hours" },
  { name: "weekdays", cron: "0 6 * * 1-5", label: "Weekdays at 6 AM" },
  { name: "hourly", cron: "0 * * * *", label: "Every hour" },
  { name: "weekly", cron: "0 0 * * 0", label: "Weekly, Sunday at midnight" },
] as const;

export function presetCron(schedule: string): string {
  return SCHEDULE_PRESETS.find((p) => p.name === schedule)?.cron ?? schedule;
}

/** "0 2 * * *" + "UTC" → "Every day at 2:00 AM UTC". Throws on an expression it cannot read. */
export function describeSchedule(schedule: string | null | undefined, timezone?: string | null): string {
  if (!schedule) return "Manual only";
  const cron = presetCron(schedule.trim());
  const problem = cronProblem(cron);
  if (problem) throw new Error(problem);
  let text = cronstrue.toString(cron, { verbose: true, use24HourTimeFormat: false });
  text = text.replace(/\b0(\d):(\d\d)/g, "$1:$2");
  let m: RegExpExecArray | null;
  if ((m = /^At (.+), every day$/.exec(text))) text = `Every day at ${m[1]}`;
  else if ((m = /^At (.+), only on (\w+)$/.exec(text))) text = `Every ${m[2]} at ${m[1]}`;
  else if ((m = /^At (.+), (\w+ through \w+)$/.exec(text))) text = `${m[2]} at ${m[1]}`;
  else if ((m = /^(.+), every day$/.exec(text))) text = m[1];
  const tz = timezone || "UTC";
  return tz === "UTC" ? `${text} UTC` : `${text} (${tz})`;
}

export function safeDescribe(schedule: string | null | undefined, timezone?: string | null): string {
  try {
    return describeSchedule(schedule, timezone);
  } catch {
    return schedule ?? "Manual only";
  }
}

// --- a small 5-field cron evaluator for the live preview (the API's cron-parser is authoritative) ---

const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const NAMES: Record<number, string[]> = {
  3: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  4: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"];

function parseValue(s: string, field: number): number {
  const names = NAMES[field];
  if (names) {
    const i = names.indexOf(s.toUpperCase());
    if (i >= 0) return field === 3 ? i + 1 : i;
  }
  if (!/^\d+$/.test(s)) throw new Error(`"${s}" is not a valid ${FIELD_NAMES[field]}`);
  return Number(s);
}

function parseField(text: string, field: number): Set<number> {
  const [lo, hi] = RANGES[field];
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [rangePart, stepPart] = part.split("/");
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step "${stepPart}" in the ${FIELD_NAMES[field]} field`);
    let a: number, b: number;
    if (rangePart === "*") [a, b] = [lo, hi];
    else if (rangePart.includes("-")) {
      const [x, y] = rangePart.split("-");
      [a, b] = [parseValue(x, field), parseValue(y, field)];
    } else {
      a = parseValue(rangePart, field);
      b = stepPart === undefined ? a : hi;
    }
    if (a < lo || b > hi || a > b) throw new Error(`${FIELD_NAMES[field]} must be between ${lo} and ${hi}`);
    for (let v = a; v <= b; v += step) out.add(field === 4 && v === 7 ? 0 : v);
  }
  return out;
}

interface ParsedCron {
  minutes: number[];
  hours: number[];
  dom: Set<number>;
  months: Set<number>;
  dow: Set<number>;
  domStar: boolean;
  dowStar: boolean;
}

function parseCron(expr: string): ParsedCron {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`a cron expression has 5 fields (minute hour day month weekday); this one has ${fields.length}`);
  const sets = fields.map((f, i) => parseField(f, i));
  return {
    minutes: [...sets[0]].sort((a, b) => a - b),
    hours: [...sets[1]].sort((a, b) => a - b),
    dom: sets[2],
    months: sets[3],
    dow: sets[4],
    domStar: fields[2] === "*" || fields[2] === "?",
    dowStar: fields[4] === "*" || fields[4] === "?",
  };
}

/** A human sentence when `expr` is not a 5-field cron this preview understands, else null. */
export function cronProblem(expr: string): string | null {
  try {
    parseCron(presetCron(expr));
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function timezoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = intl.supportedValuesOf?.("timeZone") ?? ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"];
  return ["UTC", ...list.filter((z) => z !== "UTC")];
}

function wallClock(instant: number, tz: string): number[] {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  }).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return [get("year"), get("month"), get("day"), get("hour"), get("minute")];
}

function offsetAt(instant: number, tz: string): number {
  const [y, mo, d, h, mi] = wallClock(instant, tz);
  return Date.UTC(y, mo - 1, d, h, mi) - Math.floor(instant / 60000) * 60000;
}

function wallToInstant(y: number, mo: number, d: number, h: number, mi: number, tz: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const first = guess - offsetAt(guess, tz);
  const second = guess - offsetAt(first, tz);
  return second;
}

/** The next `count` times `schedule` fires in `tz` after `from`. */
export function nextRuns(schedule: string, tz: string, count = 3, from = Date.now()): Date[] {
  const cron = parseCron(presetCron(schedule));
  const zone = isValidTimezone(tz) ? tz : "UTC";
  const [y, mo, d] = wallClock(from, zone);
  const out: Date[] = [];
  for (let day = 0; day < 400 && out.length < count; day++) {
    const date = new Date(Date.UTC(y, mo - 1, d + day));
    const [dy, dm, dd, dw] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()];
    if (!cron.months.has(dm)) continue;
    const domOk = cron.dom.has(dd);
    const dowOk = cron.dow.has(dw);
    // Vixie cron: when both day fields are restricted, either may match.
    const dayOk = cron.domStar && cron.dowStar ? true : cron.domStar ? dowOk : cron.dowStar ? domOk : domOk || dowOk;
    if (!dayOk) continue;
    for (const h of cron.hours) {
      for (const mi of cron.minutes) {
        const t = wallToInstant(dy, dm, dd, h, mi, zone);
        if (t > from && (out.length === 0 || t > out[out.length - 1].getTime())) out.push(new Date(t));
        if (out.length >= count) return out;
      }
    }
  }
  return out;
}

export function formatInZone(date: Date, tz: string): string {
  return new Intl.DateTimeFormat("en-US", {
    timeZone: isValidTimezone(tz) ? tz : "UTC",
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(date);
}
