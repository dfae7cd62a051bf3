import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import type { Logger } from "@sis-sync/logger";
import { HttpError, type FieldError } from "./http-errors";

const PROBLEM = "application/problem+json";

export function zodFieldErrors(error: ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join("."), message: i.message }));
}

function send(res: Parameters<RequestHandler>[1], e: HttpError): void {
  res
    .status(e.status)
    .type(PROBLEM)
    .json({
      type: `https://sis-sync.dev/problems/${e.status}`,
      title: e.title,
      status: e.status,
      detail: e.detail ?? e.title,
      ...(e.errors ? { errors: e.errors } : {}),
      ...e.extra,
    });
}

export const notFoundHandler: RequestHandler = (req, res) => send(res, new HttpError(404, "Not Found", `No route for ${req.method} ${req.path}`));

/** The one place errors become responses: typed HttpErrors, body-parser errors, then 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) return send(res, err);
    if (err instanceof ZodError) return send(res, new HttpError(422, "Unprocessable Content", "The request breaks a validation rule", zodFieldErrors(err)));
    const type = (err as { type?: string }).type;
    if (type === "entity.parse.failed") return send(res, new HttpError(400, "Bad Request", "Malformed JSON body"));
    if (type === "entity.too.large") return send(res, new HttpError(413, "Content Too Large", "Request body is too large"));
    if (type === "encoding.unsupported" || type === "charset.unsupported") return send(res, new HttpError(415, "Unsupported Media Type", "Unsupported body encoding"));
    const redisDown = /Connection is closed|Stream isn't writeable|ECONNREFUSED|enableOfflineQueue/i.test(String((err as Error)?.message));
    if (redisDown) return send(res, new HttpError(503, "Service Unavailable", "The job queue is unavailable; try again shortly"));
    (res.locals.logger as Logger | undefined ?? logger).error("unhandled error", { err, path: req.path });
    send(res, new HttpError(500, "Internal Server Error", "Something went wrong; the error was logged"));
  };
}
