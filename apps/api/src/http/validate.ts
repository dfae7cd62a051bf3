import type { z } from "zod";
import { zodFieldErrors } from "../errors/error-handler";
import { badRequest, unprocessable } from "../errors/http-errors";

/** Body rules broken → 422 with field errors (api.md: valid JSON that breaks a rule). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw unprocessable("The request body breaks a validation rule", zodFieldErrors(r.error));
  return r.data;
}

/** Bad query parameters → 400. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const r = schema.safeParse(query);
  if (!r.success) throw badRequest("Invalid query parameters", zodFieldErrors(r.error));
  return r.data;
}
