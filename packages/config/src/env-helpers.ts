import { z } from "zod";

/** Blank env strings mean "not set" (a `FOO=` line in a .env file must not count as a value). */
export const optionalString = z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().optional());

/** `z.coerce.boolean()` turns "false" into true; this accepts only the usual spellings. */
export const envBoolean = (fallback: boolean) =>
  z.preprocess(
    (v) => (v === undefined || v === "" ? undefined : String(v).toLowerCase()),
    z.enum(["true", "false", "1", "0", "yes", "no"]).optional().transform((v) => (v === undefined ? fallback : ["true", "1", "yes"].includes(v))),
  );

export const envInt = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess((v) => (v === undefined || v === "" ? undefined : v), z.coerce.number().int().min(min).max(max).default(fallback));
