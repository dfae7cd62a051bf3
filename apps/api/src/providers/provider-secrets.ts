import { SECRET_CONFIG_KEYS } from "@sis-sync/connectors";

export const MASK = "********";
const SECRET_KEYS = new Set<string>(SECRET_CONFIG_KEYS);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A config with every secret field (at any depth) replaced by the mask (api.md "Secrets are write-only"). */
export function redactConfig(config: Json): Json {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, SECRET_KEYS.has(k) && v !== undefined && v !== null ? MASK : isObject(v) ? redactConfig(v) : v]),
  );
}

/**
 * PATCH semantics for config: keys merge into the stored config (nested objects too); a
 * secret sent as the mask, or omitted, keeps its stored value; `null` removes an optional key.
 */
export function mergeConfig(stored: Json, patch: Json): Json {
  const out: Json = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === MASK && SECRET_KEYS.has(k)) continue;
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(stored[k])) out[k] = mergeConfig(stored[k] as Json, v);
    else out[k] = v;
  }
  return out;
}

/** A new config must not carry the mask as a real value. */
export function containsMask(config: Json): boolean {
  return Object.values(config).some((v) => v === MASK || (isObject(v) && containsMask(v)));
}
