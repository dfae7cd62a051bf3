/** Keys whose values never reach a log line, whatever object they sit in. */
const SECRET_KEY = /(secret|password|passphrase|token|authorization|private_?key|cookie|api_?key|signature)/i;
/** Values that look like credentials even under an innocent key. */
const SECRET_VALUE = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(Bearer|Basic|OAuth)\s+[^\s"']+/gi,
  /(oauth_signature|access_token|client_secret|password)=[^&\s"']+/gi,
];
export const REDACTED = "[REDACTED]";

export function redactString(value: string): string {
  return SECRET_VALUE.reduce((s, re) => s.replace(re, (m, p1: string) => (/^(Bearer|Basic|OAuth)$/i.test(p1) ? `${p1} ${REDACTED}` : m.includes("=") ? `${m.split("=")[0]}=${REDACTED}` : REDACTED)), value);
}

/** Deep copy with secrets replaced; cycles and depth are bounded so logging never throws. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 8 || seen.has(value)) return "[…]";
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), stack: value.stack ? redactString(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== "" ? REDACTED : redact(v, depth + 1, seen);
  }
  return out;
}
