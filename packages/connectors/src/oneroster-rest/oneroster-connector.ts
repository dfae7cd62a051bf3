import {
  ConnectorError,
  type CanonicalClass,
  type CanonicalEnrollment,
  type CanonicalSchool,
  type CanonicalUser,
  type ConnectionTestResult,
  type ExtractBatch,
  type ExtractContext,
  type ExtractResult,
  type RejectedRecord,
  type SisConnector,
} from "@sis-sync/roster";
import { SisHttpError, type SisHttpClient } from "../http";
import { OneRosterClient, type OneRosterRecord } from "./oneroster-client";
import { mapAcademicSession, mapClass, mapEnrollment, mapSchool, mapUser, refId, type Mapped, type SessionInfo } from "./oneroster-mapper";

export interface OneRosterRestConnectorOptions {
  http: SisHttpClient;
  /** Service root, e.g. `https://host/ims/oneroster/v1p1` (see `oneRosterRoot`). */
  root: string;
  /** For messages: "OneRoster server", "ClassLink". */
  sourceName: string;
  /** Client for `test`: an admin is waiting on the button, so it retries less. Default: `http`. */
  testHttp?: SisHttpClient;
  /** `limit` per request. Default 1000: big pages are common in practice (SDS uses 5000); the spec default of 100 costs 10× the requests. */
  pageSize?: number;
}

/**
 * A OneRoster 1.1 REST source (ONEROSTER_API and CLASSLINK). Reads orgs → academicSessions →
 * courses (both only as lookups for classes) → classes → users → enrollments, page by page,
 * and yields canonical batches in the order the engine expects.
 */
export class OneRosterRestConnector implements SisConnector {
  private readonly client: OneRosterClient;
  private readonly testClient: OneRosterClient;

  constructor(private readonly options: OneRosterRestConnectorOptions) {
    this.client = new OneRosterClient(options.http, options.root, options.sourceName, options.pageSize ?? 1000);
    this.testClient = options.testHttp ? new OneRosterClient(options.testHttp, options.root, options.sourceName, 1) : this.client;
  }

  async test(signal: AbortSignal = new AbortController().signal): Promise<ConnectionTestResult> {
    const host = new URL(this.options.root).host;
    try {
      const pages = this.testClient.list("/orgs", { signal, keys: ["orgs"] });
      // One page is enough to prove address, credentials and envelope; don't read the rest.
      await pages.next();
      await pages.return({ total: 0, duplicates: 0 });
      return { success: true, message: `Connected to ${this.options.sourceName} at ${host}` };
    } catch (e) {
      if (e instanceof ConnectorError) return { success: false, message: e.message };
      return { success: false, message: `Could not reach ${host}: ${(e as Error).message}` };
    }
  }

  async *extract(ctx: ExtractContext): AsyncGenerator<ExtractBatch, ExtractResult, void> {
    const { signal, logger } = ctx;
    let maxModified: string | null = null;
    const track = (raw: OneRosterRecord) => {
      const m = typeof raw.dateLastModified === "string" ? raw.dateLastModified : null;
      if (m && (maxModified === null || m > maxModified)) maxModified = m;
    };

    // Incremental (issue #9, research §3.2): every roster collection filtered on dateLastModified
    // since the cursor, which is the newest dateLastModified the last successful run saw (the
    // source's clock, never ours). A delta also carries `tobedeleted` rows: explicit deletions.
    let filter: string | undefined;
    let fellBackToFull = false;
    const schoolIds = new Set<string>();
    let deltaOrgs: OneRosterRecord[] | null = null;
    if (ctx.mode === "incremental") {
      if (ctx.cursor) {
        filter = `dateLastModified>'${ctx.cursor.replace(/'/g, "''")}'`;
        try {
          // The small /orgs delta first, before anything is yielded: a server that refuses the
          // cursor (too old, or no filter support) refuses it here, and the run reads everything.
          deltaOrgs = [];
          for await (const page of this.client.list("/orgs", { signal, keys: ["orgs"], filter })) deltaOrgs.push(...page.records);
        } catch (e) {
          if (!(e instanceof SisHttpError && (e.status === 400 || e.status === 422))) throw e;
          logger.warn("oneroster: the server refused the delta filter; reading everything", { source: this.options.sourceName, message: e.message });
          filter = undefined;
          deltaOrgs = null;
          fellBackToFull = true;
        }
      } else {
        fellBackToFull = true;
      }
      // A delta's users name schools that the delta itself may not hold.
      if (deltaOrgs) {
        await this.readLookup("/orgs", ["orgs"], ctx, (raw) => {
          const m = mapSchool(raw);
          if (m && "record" in m) schoolIds.add(m.record.externalId);
        });
      }
    }
    if (ctx.cursor) maxModified = ctx.cursor;

    // Schools: /orgs filtered by type, so every server (and ClassLink) works the same way.
    const mapOrg = (raw: OneRosterRecord) => {
      track(raw);
      const m = mapSchool(raw);
      if (m && "record" in m && !m.record.deleted) schoolIds.add(m.record.externalId);
      return m;
    };
    if (deltaOrgs) yield* this.mapped(deltaOrgs, "schools", mapOrg);
    else yield* this.read("/orgs", ["orgs"], "schools", ctx, mapOrg);

    // Lookups for classes: term titles/dates and course titles. Small collections.
    const sessions = new Map<string, SessionInfo>();
    await this.readLookup("/academicSessions", ["academicSessions", "terms"], ctx, (raw) => {
      const s = mapAcademicSession(raw);
      if (s) sessions.set(s[0], s[1]);
    }).catch(async (e) => {
      // Some servers expose terms only at /terms (research §3.1).
      if (!(e instanceof SisHttpError && e.status === 404)) throw e;
      logger.warn("oneroster: /academicSessions not served, reading /terms", { source: this.options.sourceName });
      await this.readLookup("/terms", ["academicSessions", "terms"], ctx, (raw) => {
        const s = mapAcademicSession(raw);
        if (s) sessions.set(s[0], s[1]);
      });
    });
    const courses = new Map<string, string | null>();
    await this.readLookup("/courses", ["courses"], ctx, (raw) => {
      const id = refId(raw.sourcedId);
      if (id) courses.set(id, typeof raw.title === "string" ? raw.title.trim() || null : null);
    }).catch((e) => {
      // Course titles are decoration on a class; a server without /courses still syncs.
      if (!(e instanceof SisHttpError && e.status === 404)) throw e;
      logger.warn("oneroster: /courses not served; classes will have no course title", { source: this.options.sourceName });
    });

    yield* this.read("/classes", ["classes"], "classes", ctx, (raw) => (track(raw), mapClass(raw, { sessions, courses })), filter);
    yield* this.read("/users", ["users"], "users", ctx, (raw) => (track(raw), mapUser(raw, schoolIds)), filter);
    yield* this.read("/enrollments", ["enrollments"], "enrollments", ctx, (raw) => (track(raw), mapEnrollment(raw)), filter);

    return { nextCursor: maxModified, ...(fellBackToFull ? { fellBackToFull: true } : {}) };
  }

  private *mapped<K extends "schools">(raws: OneRosterRecord[], kind: K, map: (raw: OneRosterRecord) => Mapped<RecordOf<K>>): Generator<ExtractBatch, void, void> {
    const out: RecordOf<K>[] = [];
    const rejected: RejectedRecord[] = [];
    for (const raw of raws) {
      const m = map(raw);
      if (m === null) continue;
      if ("rejected" in m) rejected.push(m.rejected);
      else out.push(m.record);
    }
    if (out.length || rejected.length) yield { kind, records: out, ...(rejected.length ? { rejected } : {}) } as ExtractBatch;
  }

  private async *read<K extends "schools" | "classes" | "users" | "enrollments">(
    path: string,
    keys: string[],
    kind: K,
    ctx: ExtractContext,
    map: (raw: OneRosterRecord) => Mapped<RecordOf<K>>,
    filter?: string,
  ): AsyncGenerator<ExtractBatch, void, void> {
    let records = 0;
    let rejectedCount = 0;
    let deleted = 0;
    const pages = this.client.list(path, { signal: ctx.signal, keys, ...(filter ? { filter } : {}) });
    let duplicates = 0;
    for (;;) {
      const next = await pages.next();
      if (next.done) {
        duplicates = next.value.duplicates;
        break;
      }
      const out: RecordOf<K>[] = [];
      const rejected: RejectedRecord[] = [];
      for (const raw of next.value.records) {
        const m = map(raw);
        if (m === null) continue;
        if ("rejected" in m) rejected.push(m.rejected);
        else {
          out.push(m.record);
          if (m.record.deleted) deleted++;
        }
      }
      records += out.length;
      rejectedCount += rejected.length;
      if (out.length || rejected.length) yield { kind, records: out, ...(rejected.length ? { rejected } : {}) } as ExtractBatch;
    }
    ctx.logger.info("oneroster: read collection", { source: this.options.sourceName, path, kind, records, rejected: rejectedCount, deleted, duplicates });
  }

  private async readLookup(path: string, keys: string[], ctx: ExtractContext, each: (raw: OneRosterRecord) => void): Promise<void> {
    for await (const page of this.client.list(path, { signal: ctx.signal, keys })) {
      for (const raw of page.records) each(raw);
    }
  }
}

type RecordOf<K> = K extends "schools" ? CanonicalSchool : K extends "classes" ? CanonicalClass : K extends "users" ? CanonicalUser : CanonicalEnrollment;
