import type { FieldError, ListResponse, Provider, RecordError, RosterChange, Run, SyncStatusResponse } from "./types";

/** A failed call, carrying the RFC 9457 problem details the API sends. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldError[],
    readonly body: Record<string, unknown> | null,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

type Listener = (status: 401 | 403) => void;
let authListener: Listener | null = null;
/** The app signs out on 401 (expired/invalid token); 403 on a tenant route shows "not allowed". */
export function onAuthProblem(listener: Listener | null): void {
  authListener = listener;
}

let currentToken: string | null = null;
export function setApiToken(token: string | null): void {
  currentToken = token;
}

async function request<T>(method: string, path: string, body?: unknown, opts: { quiet403?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (currentToken) headers.Authorization = `Bearer ${currentToken}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "Network error", "The service could not be reached. Check your connection and try again.", [], null);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const errors = Array.isArray(json?.errors)
      ? (json!.errors as unknown[]).flatMap((e) => {
          if (!e || typeof e !== "object") return [];
          const o = e as Record<string, unknown>;
          const p = Array.isArray(o.path) ? o.path.join(".") : String(o.path ?? "");
          return [{ path: p, message: String(o.message ?? "invalid") }];
        })
      : [];
    const err = new ApiError(
      res.status,
      typeof json?.title === "string" ? json.title : res.statusText || `HTTP ${res.status}`,
      typeof json?.detail === "string" ? json.detail : undefined,
      errors,
      json,
    );
    if (res.status === 401) authListener?.(401);
    if (res.status === 403 && !opts.quiet403) authListener?.(403);
    throw err;
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  listProviders: (tenantId: string, limit = 200, offset = 0) =>
    request<ListResponse<Provider>>("GET", `/api/v1/tenants/${enc(tenantId)}/providers?limit=${limit}&offset=${offset}`),
  getProvider: (id: string) => request<Provider>("GET", `/api/v1/providers/${enc(id)}`),
  createProvider: (body: Record<string, unknown>) => request<Provider>("POST", "/api/v1/providers", body),
  updateProvider: (id: string, body: Record<string, unknown>) => request<Provider>("PATCH", `/api/v1/providers/${enc(id)}`, body),
  deleteProvider: (id: string) => request<void>("DELETE", `/api/v1/providers/${enc(id)}`),
  testConnection: (id: string) => request<{ success: boolean; message: string }>("POST", `/api/v1/providers/${enc(id)}/test`),
  startSync: (id: string, body: { dryRun?: boolean; force?: boolean }) =>
    request<{ runId: string; status: string }>("POST", `/api/v1/providers/${enc(id)}/sync`, body),
  cancelSync: (id: string) => request<{ runId: string; status: string }>("POST", `/api/v1/providers/${enc(id)}/sync/cancel`),
  syncStatus: (id: string) => request<SyncStatusResponse>("GET", `/api/v1/providers/${enc(id)}/sync/status`),
  listRuns: (id: string, limit = 10, offset = 0) =>
    request<ListResponse<Run>>("GET", `/api/v1/providers/${enc(id)}/runs?limit=${limit}&offset=${offset}`),
  getRun: (runId: string) => request<Run>("GET", `/api/v1/runs/${enc(runId)}`),
  runChanges: (runId: string, filter: { kind?: string; action?: string }, limit = 20, offset = 0) =>
    request<ListResponse<RosterChange>>(
      "GET",
      `/api/v1/runs/${enc(runId)}/changes?limit=${limit}&offset=${offset}${filter.kind ? `&kind=${enc(filter.kind)}` : ""}${filter.action ? `&action=${enc(filter.action)}` : ""}`,
    ),
  runErrors: (runId: string, limit = 20, offset = 0) =>
    request<ListResponse<RecordError>>("GET", `/api/v1/runs/${enc(runId)}/errors?limit=${limit}&offset=${offset}`),
  /** Sets the short-lived httpOnly cookie Bull Board (/admin/queues) checks; PLATFORM_ADMIN only. */
  openAdminSession: () => request<unknown>("POST", "/admin/session", undefined, { quiet403: true }),
  closeAdminSession: () => request<unknown>("DELETE", "/admin/session", undefined, { quiet403: true }),
};

/** "config.sftp.host", "/config/sftp/host", "body.config.clientId" → "config.sftp.host". */
export function normalisePath(path: string): string {
  return path
    .split(/[./]/)
    .filter((s) => s !== "" && s !== "body")
    .join(".");
}

/** Field errors keyed by normalised path, plus the messages no field claims. */
export function splitErrors(err: unknown, knownPaths: string[]): { byPath: Record<string, string>; general: string[] } {
  const byPath: Record<string, string> = {};
  const general: string[] = [];
  if (!(err instanceof ApiError)) {
    general.push(err instanceof Error ? err.message : String(err));
    return { byPath, general };
  }
  for (const e of err.errors) {
    const p = normalisePath(e.path);
    // A refine on an object (e.g. "exactly one of privateKeyPath, privateKey or password") names
    // the object; show it beside the first field inside it.
    const target = knownPaths.find((k) => k === p) ?? knownPaths.find((k) => p !== "" && k.startsWith(p + "."));
    if (target) byPath[target] = byPath[target] ? `${byPath[target]}; ${e.message}` : e.message;
    else general.push(p ? `${p}: ${e.message}` : e.message);
  }
  if (err.errors.length === 0) general.push(err.message);
  return { byPath, general };
}
