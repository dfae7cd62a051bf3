import type { ExtractBatch } from "./canonical";

export type SyncMode = "full" | "incremental";

/** Minimal structured logger a connector may use; never pass it secrets. */
export interface ConnectorLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface ExtractContext {
  /** Aborted when the run is cancelled or the worker shuts down: stop between pages and abort in-flight I/O. */
  signal: AbortSignal;
  logger: ConnectorLogger;
  mode: SyncMode;
  /** Incremental cursor from the provider's last successful run (issue 9); null for full syncs. */
  cursor: string | null;
  /**
   * The provider syncs incrementally: a full read should also return the cursor the next
   * incremental run starts from (Clever: the newest event id, read before the roster).
   */
  wantCursor?: boolean;
}

export interface ExtractResult {
  /** The cursor to store if the run succeeds (for the next incremental run). */
  nextCursor: string | null;
  /** The source could not serve a delta (cursor too old/unknown) and a full read was done instead. */
  fellBackToFull?: boolean;
  /** The export itself was a delta (e.g. OneRoster CSV delta manifest): deactivate nothing by absence. */
  isDelta?: boolean;
}

export interface ConnectionTestResult {
  success: boolean;
  message: string;
}

/**
 * What every SIS connector implements. `extract` yields pages in the order
 * schools → classes → users → enrollments and returns when the whole export is read;
 * it throws a `ConnectorError` with a human message when the source fails.
 */
export interface SisConnector {
  test(signal?: AbortSignal): Promise<ConnectionTestResult>;
  extract(ctx: ExtractContext): AsyncGenerator<ExtractBatch, ExtractResult, void>;
}

export type ConnectorErrorCode =
  | "AUTH_FAILED"
  | "UNREACHABLE"
  | "RATE_LIMITED"
  | "BAD_RESPONSE"
  | "BAD_FILE"
  | "HOST_KEY_MISMATCH"
  | "HOST_NOT_ALLOWED"
  | "CANCELLED"
  | "CURSOR_EXPIRED"
  | "CONFIG";

/** A failure of the source, with a message fit to show a district admin (never a secret). */
export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ConnectorError";
  }
}
