export interface FieldError {
  path: string;
  message: string;
}

/** A typed API error; the one error handler turns it into RFC 9457 problem details. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = "HttpError";
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpError(400, "Bad Request", detail, errors);
export const unauthorized = (detail = "A valid bearer token is required") => new HttpError(401, "Unauthorized", detail);
export const forbidden = (detail = "Your role does not allow this") => new HttpError(403, "Forbidden", detail);
export const notFound = (what = "Resource") => new HttpError(404, "Not Found", `${what} not found`);
export const conflict = (detail: string, extra: Record<string, unknown> = {}) => new HttpError(409, "Conflict", detail, undefined, extra);
export const gone = (detail: string, extra: Record<string, unknown> = {}) => new HttpError(410, "Gone", detail, undefined, extra);
export const unprocessable = (detail: string, errors?: FieldError[]) => new HttpError(422, "Unprocessable Content", detail, errors);
export const unavailable = (detail: string) => new HttpError(503, "Service Unavailable", detail);
