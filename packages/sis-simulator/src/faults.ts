/**
 * Faults on demand, per peer. Request-numbered faults count the peer's data requests
 * (authenticated API requests; not token endpoints, not /__admin), starting at 1.
 */
import type { NextFunction, Request, Response } from "express";

export interface HttpFaults {
  /** Every Nth data request gets a 429 (Clever: X-RateLimit-* headers; OneRoster: Retry-After). */
  rateLimitEvery?: number;
  /** Seconds a 429 asks the client to wait. Default 1. */
  retryAfterSeconds?: number;
  /** A 5xx on the given page (1-based) of a list route whose path contains `path` (any list if omitted). */
  serverErrorOnPage?: { path?: string; page: number; times?: number; status?: number };
  /** Added before every data response. */
  latencyMs?: number;
  /** The Nth data request gets its headers and half its body, then the socket is destroyed. */
  dropConnectionOnRequest?: number;
  /** A bearer token answers this many data requests after it was issued, then gets 401 (a new one comes from the token endpoint). */
  expireTokenAfterRequests?: number;
  /** This page (1-based) of every list route starts with the last record of the page before it. */
  repeatRecordOnPage?: number;
  /** The Nth data request never gets an answer (until the peer closes). */
  hangOnRequest?: number;
}

export interface SftpFaults {
  /** users.csv gets a row with an unbalanced quote and a missing column. */
  malformedRowInUsers?: boolean;
  /** The zip exports are cut off halfway. */
  truncateZip?: boolean;
}

/** Set on `res.locals` when this response must be cut off mid-body. */
export const DROP_MID_BODY = "sisSimDropMidBody";

export class FaultState {
  private faults: HttpFaults = {};
  private dataRequests = 0;
  private serverErrorsServed = 0;

  set(faults: HttpFaults): void {
    this.faults = { ...faults };
    this.serverErrorsServed = 0;
  }

  get current(): HttpFaults {
    return { ...this.faults };
  }

  /** Number of data requests seen so far (the clock token expiry runs on). */
  get requestNumber(): number {
    return this.dataRequests;
  }

  isTokenExpired(issuedAtRequest: number): boolean {
    const limit = this.faults.expireTokenAfterRequests;
    return limit !== undefined && this.dataRequests - issuedAtRequest >= limit;
  }

  /** Whether this page of this list route must fail with a 5xx; returns the status to send. */
  pageError(path: string, page: number): number | null {
    const fault = this.faults.serverErrorOnPage;
    if (!fault || fault.page !== page || (fault.path && !path.includes(fault.path))) return null;
    if (this.serverErrorsServed >= (fault.times ?? 1)) return null;
    this.serverErrorsServed++;
    return fault.status ?? 503;
  }

  repeatsRecordOnPage(page: number): boolean {
    return this.faults.repeatRecordOnPage === page && page > 1;
  }

  /**
   * Express middleware for data routes: counts the request, then applies latency, hang,
   * drop and rate limit. `rateLimited` writes the protocol's own 429.
   */
  middleware(rateLimited: (res: Response, retryAfterSeconds: number) => void) {
    return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
      const n = ++this.dataRequests;
      const f = this.faults;
      if (f.latencyMs) await new Promise((resolve) => setTimeout(resolve, f.latencyMs));
      if (f.hangOnRequest === n) return;
      if (f.dropConnectionOnRequest === n) res.locals[DROP_MID_BODY] = true;
      if (f.rateLimitEvery && n % f.rateLimitEvery === 0) {
        rateLimited(res, f.retryAfterSeconds ?? 1);
        return;
      }
      next();
    };
  }
}
