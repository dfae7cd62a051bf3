import {
  ConnectorError,
  type CanonicalEnrollment,
  type CanonicalRecordByKind,
  type ConnectionTestResult,
  type ConnectorLogger,
  type EntityKind,
  type ExtractBatch,
  type ExtractContext,
  type ExtractResult,
  type RejectedRecord,
  type SisConnector,
} from "@sis-sync/roster";
import type { ConnectorDeps } from "../connector-deps";
import { SisHttpClient, type SisHttpClientOptions } from "../http/sis-http-client";
import type { CleverConfig } from "../provider-config";
import { deriveCleverEnrollments, mapCleverSchool, mapCleverSection, mapCleverUser, type CleverLookups, type MapOutcome } from "./clever-mappers";
import { CLEVER_MAX_PAGE_SIZE, cleverApiUrl, cleverPages, readCleverMap, throwIfCancelled, type CleverGetJson } from "./clever-paging";
import { CLEVER_TOKEN_URL, cleverBasicAuth, fetchCleverDistrictToken } from "./clever-token";
import { latestCleverEventId, readCleverDelta } from "./clever-events";
import type { CleverCourse, CleverDistrict, CleverSchool, CleverSection, CleverTerm, CleverUser } from "./clever-types";

export const CLEVER_BASE_URL = "https://api.clever.com";

/**
 * Clever allows 1,200 requests per minute per bearer token in a fixed window that "resets every
 * minute" (dev.clever.com/reference/responses-errors). Our fixed windows cannot be aligned with
 * Clever's, and a minute-long budget of ours may straddle two of theirs; a one-second budget of 18
 * bounds any 60-second span at 61 × 18 = 1,098 requests, under the limit with room for the
 * `test` button and a token refresh, and shared by every worker through Redis.
 */
export const CLEVER_RATE_LIMIT = { limit: 18, windowMs: 1_000 } as const;

type HttpTuning = Partial<Pick<SisHttpClientOptions, "timeoutMs" | "maxRetries" | "maxRetryWaitMs" | "retryBaseDelayMs" | "maxPages">>;

export interface CleverConnectorOptions {
  /** Records per request; Clever's maximum (10,000) unless a test wants many pages. */
  pageSize?: number;
  /** Request budget per token, shared through Redis. */
  rateLimit?: { limit: number; windowMs: number };
  /** Client tuning for syncs (tests shorten backoff and timeouts). */
  http?: HttpTuning;
  /** Client tuning for `test`: an admin is waiting on the button, so fewer retries by default. */
  testHttp?: HttpTuning;
}

type Client = Pick<SisHttpClient, "getJson" | "pageGuard" | "close">;

/** The two HTTP clients one run uses: the token endpoint (Basic) and the Data API (Bearer). */
interface CleverSession {
  api: Client;
  getJson: CleverGetJson;
  ensureToken(signal: AbortSignal): Promise<void>;
  /** True once a 401 made us fetch a new token in this run. */
  refreshed(): boolean;
  close(): void;
}

/**
 * Clever Data API v3.0 (sis-protocols.md §1). Reads terms and courses into lookups, then streams
 * schools → sections (classes) → users, and derives enrollments from a second pass over the
 * sections' `students`/`teachers` lists: the batches must come in that order, and holding every
 * section's member list until the users are read would keep the whole enrollment set in memory.
 * Enrollments are derived only for sections yielded as classes in the same run.
 */
export class CleverConnector implements SisConnector {
  private readonly baseUrl: string;
  private readonly tokenUrl: string;
  private readonly pageSize: number;
  /** The district token, shared by runs of this instance; refreshed after a 401. */
  private token: string | null;

  constructor(
    private readonly config: CleverConfig,
    private readonly deps: ConnectorDeps,
    private readonly options: CleverConnectorOptions = {},
  ) {
    this.baseUrl = (config.baseUrl ?? CLEVER_BASE_URL).replace(/\/+$/, "");
    this.tokenUrl = config.tokenUrl ?? CLEVER_TOKEN_URL;
    this.pageSize = Math.min(Math.max(1, Math.floor(options.pageSize ?? CLEVER_MAX_PAGE_SIZE)), CLEVER_MAX_PAGE_SIZE);
    this.token = config.accessToken ?? null;
  }

  async test(signal: AbortSignal = new AbortController().signal): Promise<ConnectionTestResult> {
    const session = this.openSession({ maxRetries: 2, timeoutMs: 15_000, maxRetryWaitMs: 10_000, ...this.options.testHttp }, this.deps.logger);
    try {
      await session.ensureToken(signal);
      const { body } = await session.getJson(cleverApiUrl(this.baseUrl, `districts/${encodeURIComponent(this.config.districtId)}`), { signal });
      const district = (body as { data?: CleverDistrict } | null)?.data;
      if (!district || typeof district !== "object") {
        throw new ConnectorError("BAD_RESPONSE", `Clever answered /v3.0/districts/${this.config.districtId} without a district`);
      }
      const name = typeof district.name === "string" && district.name.trim() !== "" ? district.name.trim() : district.id;
      return { success: true, message: `Successfully connected to Clever (district ${name})` };
    } catch (err) {
      return { success: false, message: this.humanError(err, session).message };
    } finally {
      session.close();
    }
  }

  async *extract(ctx: ExtractContext): AsyncGenerator<ExtractBatch, ExtractResult, void> {
    const { signal, logger } = ctx;
    const session = this.openSession(this.options.http ?? {}, logger);
    const paging = (collection: string) => ({ baseUrl: this.baseUrl, limit: this.pageSize, signal, guard: session.api.pageGuard(collection) });
    try {
      await session.ensureToken(signal);

      // Terms and courses are small: look them up while mapping sections.
      const lookups: CleverLookups = {
        terms: await readCleverMap<CleverTerm>(session.getJson, "terms", paging("terms")),
        courses: await readCleverMap<CleverCourse>(session.getJson, "courses", paging("courses")),
      };
      const counts = { schools: 0, classes: 0, users: 0, enrollments: 0, rejected: 0, skippedUsers: 0 };

      // Incremental (issue #9): the Events API after the stored event id. Events are read whole
      // before anything is yielded, so a refused cursor falls back to the full read cleanly.
      let fellBackToFull = false;
      if (ctx.mode === "incremental" && ctx.cursor) {
        try {
          const delta = await readCleverDelta(session.getJson, paging("events"), ctx.cursor, lookups);
          const schools = split(delta.schools);
          const classes = split(delta.classes);
          const users = split(delta.users);
          if (schools.records.length || schools.rejected.length) yield batch("schools", schools.records, schools.rejected);
          if (classes.records.length || classes.rejected.length) yield batch("classes", classes.records, classes.rejected);
          if (users.records.length || users.rejected.length) yield batch("users", users.records, users.rejected);
          if (delta.enrollments.length) yield batch("enrollments", delta.enrollments, []);
          throwIfCancelled(signal);
          logger.info("clever: events applied", { providerId: this.deps.providerId, events: delta.events, lastEventId: delta.lastEventId });
          return { nextCursor: delta.lastEventId };
        } catch (e) {
          if (!(e instanceof ConnectorError && e.code === "CURSOR_EXPIRED")) throw e;
          logger.warn("clever: events cursor refused; reading the full roster", { providerId: this.deps.providerId, message: e.message });
          fellBackToFull = true;
        }
      } else if (ctx.mode === "incremental") {
        fellBackToFull = true;
      }
      // The newest event before the read: events after it are replayed by the next incremental run.
      const startCursor = ctx.wantCursor || ctx.mode === "incremental" ? await latestCleverEventId(session.getJson, this.baseUrl, signal) : null;

      for await (const page of cleverPages<CleverSchool>(session.getJson, "schools", paging("schools"))) {
        const { records, rejected } = split(page.map(mapCleverSchool));
        counts.schools += records.length;
        counts.rejected += rejected.length;
        yield batch("schools", records, rejected);
      }

      const sectionIds = new Set<string>();
      for await (const page of cleverPages<CleverSection>(session.getJson, "sections", paging("sections"))) {
        const { records, rejected } = split(page.map((s) => mapCleverSection(s, lookups)));
        for (const r of records) sectionIds.add(r.externalId);
        counts.classes += records.length;
        counts.rejected += rejected.length;
        yield batch("classes", records, rejected);
      }

      for await (const page of cleverPages<CleverUser>(session.getJson, "users", paging("users"))) {
        const { records, rejected, skipped } = split(page.map(mapCleverUser));
        counts.users += records.length;
        counts.rejected += rejected.length;
        counts.skippedUsers += skipped;
        if (records.length > 0 || rejected.length > 0) yield batch("users", records, rejected);
      }

      let changedSections = 0;
      for await (const page of cleverPages<CleverSection>(session.getJson, "sections", paging("sections (enrollments)"))) {
        const records: CanonicalEnrollment[] = [];
        for (const section of page) {
          if (!sectionIds.has(section.id)) {
            changedSections += 1;
            continue;
          }
          for (const e of deriveCleverEnrollments(section)) records.push(e);
        }
        counts.enrollments += records.length;
        if (records.length > 0) yield batch("enrollments", records, []);
      }
      if (changedSections > 0) {
        logger.warn("clever: sections appeared while syncing; their enrollments wait for the next sync", { providerId: this.deps.providerId, sections: changedSections });
      }
      throwIfCancelled(signal);
      logger.info("clever: extract finished", { providerId: this.deps.providerId, ...counts });
      return { nextCursor: startCursor, ...(fellBackToFull ? { fellBackToFull: true } : {}) };
    } catch (err) {
      throw this.humanError(err, session);
    } finally {
      session.close();
    }
  }

  private openSession(tuning: HttpTuning, logger: ConnectorLogger): CleverSession {
    const deps = { ...this.deps, logger };
    const tokenClient = new SisHttpClient({
      ...tuning,
      deps,
      sourceName: "Clever",
      authorize: () => ({ Authorization: cleverBasicAuth(this.config.clientId, this.config.clientSecret) }),
    });
    let refreshed = false;
    let inFlight: Promise<string> | null = null;
    let runSignal: AbortSignal = new AbortController().signal;
    const fetchToken = (signal: AbortSignal): Promise<string> => {
      inFlight ??= fetchCleverDistrictToken((url, o) => tokenClient.getJson(url, o), {
        tokenUrl: this.tokenUrl,
        districtId: this.config.districtId,
        signal,
      }).finally(() => {
        inFlight = null;
      });
      return inFlight;
    };
    const api = new SisHttpClient({
      ...tuning,
      deps,
      sourceName: "Clever",
      rateLimit: { ...(this.options.rateLimit ?? CLEVER_RATE_LIMIT), key: `clever-token:${this.config.clientId}:${this.config.districtId}` },
      authorize: (): Record<string, string> => (this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      // A district token is revoked or rotated when the district re-authorises the app: fetch the
      // current one once; if Clever lists the same token it just refused, retrying cannot help.
      onUnauthorized: async () => {
        const stale = this.token;
        const fresh = await fetchToken(runSignal);
        refreshed = true;
        this.token = fresh;
        logger.info("clever: district token refreshed after a 401", { providerId: this.deps.providerId, changed: fresh !== stale });
        return fresh !== stale;
      },
    });
    return {
      api,
      getJson: (url, o) => api.getJson(url, o),
      ensureToken: async (signal) => {
        runSignal = signal;
        if (!this.token) this.token = await fetchToken(signal);
      },
      refreshed: () => refreshed,
      close: () => {
        api.close();
        tokenClient.close();
      },
    };
  }

  /** Clever-specific wording for the failures an admin can act on. */
  private humanError(err: unknown, session: CleverSession): ConnectorError {
    if (!(err instanceof ConnectorError)) {
      return new ConnectorError("BAD_RESPONSE", `Clever sync failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (err.code === "AUTH_FAILED" && /^Authentication failed/.test(err.message)) {
      const what = session.refreshed()
        ? "Clever refused the district token even after fetching a new one"
        : "Clever refused the district token";
      return new ConnectorError("AUTH_FAILED", `${what} for district ${this.config.districtId} (${err.message}); check that the district still authorises the app`, { cause: err });
    }
    return err;
  }
}

function batch<K extends EntityKind>(kind: K, records: CanonicalRecordByKind[K][], rejected: RejectedRecord[]): ExtractBatch {
  return (rejected.length > 0 ? { kind, records, rejected } : { kind, records }) as ExtractBatch;
}

function split<T>(outcomes: MapOutcome<T>[]): { records: T[]; rejected: RejectedRecord[]; skipped: number } {
  const records: T[] = [];
  const rejected: RejectedRecord[] = [];
  let skipped = 0;
  for (const o of outcomes) {
    if ("record" in o) records.push(o.record);
    else if ("rejected" in o) rejected.push(o.rejected);
    else skipped += 1;
  }
  return { records, rejected, skipped };
}

export function createCleverConnector(config: CleverConfig, deps: ConnectorDeps, options?: CleverConnectorOptions): SisConnector {
  return new CleverConnector(config, deps, options);
}
