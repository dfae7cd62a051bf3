/**
 * Encoding for Postgres COPY text format (tab-separated, `\N` for null), so staging is written
 * with one COPY stream per kind instead of a round trip per record.
 */
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const NEEDS_ESCAPE = /[\\\n\r\t]/g;

export type CopyValue = string | number | boolean | null | undefined | readonly string[];

function escapeText(s: string): string {
  return s.replace(NEEDS_ESCAPE, (c) => ESCAPES[c]);
}

/** A text[] literal: every element double-quoted, `"` and `\` backslash-escaped. */
export function pgArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

export function copyValue(v: CopyValue): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return escapeText(v);
  return escapeText(pgArrayLiteral(v));
}

export function copyLine(values: readonly CopyValue[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) line += (i === 0 ? "" : "\t") + copyValue(values[i]);
  return line + "\n";
}

/** Raw SIS JSON for the `json` column; something JSON cannot hold becomes null rather than failing the run. */
export function rawJson(raw: unknown): string | null {
  if (raw === undefined) return null;
  try {
    return JSON.stringify(raw) ?? null;
  } catch {
    return null;
  }
}
