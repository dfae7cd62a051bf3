import {
  ConnectorError,
  type ConnectionTestResult,
  type ConnectorLogger,
  type EntityKind,
  type CanonicalRecordByKind,
  type ExtractBatch,
  type ExtractContext,
  type ExtractResult,
  type RejectedRecord,
  type SisConnector,
} from "@sis-sync/roster";
import type { OneRosterCsvConfig } from "../provider-config";
import { readCsv, type CsvRow } from "./csv-reader";
import type { CsvSource } from "./csv-source";
import { describeModes, readManifest, type FileMode, type OneRosterManifest } from "./manifest";
import { DELTA_REQUIRED_COLUMNS, MANIFEST_FILE, ONEROSTER_FILES, type OneRosterFileKey } from "./oneroster-csv-files";
import {
  mapClassRow,
  mapCourseRow,
  mapEnrollmentRow,
  mapOrgRow,
  mapSessionRow,
  mapUserRow,
  type MapContext,
  type MapOutcome,
} from "./oneroster-csv-mappers";
import { SftpConnection } from "./sftp-source";
import type { ZipLimits } from "./zip-source";

/** Records per page: what the engine stages in one COPY (research §5: SDS and psd401 use 5000). */
export const ONEROSTER_CSV_PAGE_SIZE = 5000;

/** Opens the export for one run; the SFTP implementation is the default, tests pass a local folder. */
/** `path`: the configured folder or file this read wants (`remotePath`, or `deltaPath` for an incremental run). */
export type CsvSourceOpener = (signal: AbortSignal | undefined, path: string) => Promise<CsvSource>;

export interface OneRosterCsvConnectorOptions {
  config: OneRosterCsvConfig;
  logger: ConnectorLogger;
  allowPrivateHosts: boolean;
  zipLimits?: ZipLimits;
  /** Where downloaded zips are kept while read (default: the OS temp folder). */
  tempDir?: string;
  maxRecordChars?: number;
  pageSize?: number;
  /** Overrides the transport (unit tests); `test()` still needs SFTP. */
  openSource?: CsvSourceOpener;
}

/** The entity kinds and the file each is read from, in the order the engine expects them. */
const KIND_FILES: [EntityKind, OneRosterFileKey][] = [
  ["schools", "orgs"],
  ["classes", "classes"],
  ["users", "users"],
  ["enrollments", "enrollments"],
];

/**
 * ONEROSTER_CSV: OneRoster 1.1 CSV exports picked up over SFTP (issue #5). The manifest says
 * per file whether it is a full snapshot (bulk) or only changes (delta).
 */
export class OneRosterCsvConnector implements SisConnector {
  constructor(private readonly options: OneRosterCsvConnectorOptions) {}

  private async openSource(signal: AbortSignal | undefined, path = this.options.config.remotePath): Promise<CsvSource> {
    if (this.options.openSource) return this.options.openSource(signal, path);
    const { config, logger, allowPrivateHosts, zipLimits, tempDir } = this.options;
    const connection = await SftpConnection.connect(config, { allowPrivateHosts, logger, signal });
    try {
      const found = await connection.resolve(path);
      logger.info("OneRoster CSV export found", { location: `${connection.url}${found.path}`, kind: found.kind });
      return await connection.openExport(found, { allowPrivateHosts, logger, signal, zipLimits, tempDir });
    } catch (err) {
      await connection.end();
      throw err;
    }
  }

  async test(signal?: AbortSignal): Promise<ConnectionTestResult> {
    const { config, logger, allowPrivateHosts } = this.options;
    let connection: SftpConnection | null = null;
    try {
      connection = await SftpConnection.connect(config, { allowPrivateHosts, logger, signal });
      const found = await connection.resolve(config.remotePath);
      if (found.kind === "zip") {
        const of = found.candidates > 1 ? ` (newest of ${found.candidates})` : "";
        return { success: true, message: `Connected to ${connection.url}; found ${found.path.slice(found.path.lastIndexOf("/") + 1)}${of} in ${found.path.slice(0, found.path.lastIndexOf("/")) || "/"}` };
      }
      const source = await connection.openExport(found, { allowPrivateHosts, logger, signal });
      const manifest = await readManifest(source, signal);
      return { success: true, message: `Connected to ${connection.url}; found ${MANIFEST_FILE} (${describeModes(manifest)}) in ${found.path}` };
    } catch (err) {
      if (err instanceof ConnectorError) return { success: false, message: err.message };
      logger.warn("OneRoster CSV connection test failed unexpectedly", { error: (err as Error).message });
      return { success: false, message: `The connection test failed: ${(err as Error).message}` };
    } finally {
      await connection?.end();
    }
  }

  async *extract(ctx: ExtractContext): AsyncGenerator<ExtractBatch, ExtractResult, void> {
    // Incremental (issue #9): the delta export at `deltaPath` when configured, else `remotePath`.
    // The cursor only marks that a complete read happened; a CSV delta carries its own changes.
    const deltaPath = ctx.mode === "incremental" && ctx.cursor ? this.options.config?.deltaPath : undefined;
    const source = await this.openSource(ctx.signal, deltaPath);
    // Closing the source drops the SFTP connection, which ends any stream being read.
    const onAbort = () => void source.close().catch(() => undefined);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const manifest = await readManifest(source, ctx.signal);
      ctx.logger.info("OneRoster CSV manifest read", { location: source.location, modes: manifest.modes, system: manifest.properties["source.systemName"] });
      const mapCtx: MapContext = { sessions: new Map(), courses: new Map(), nonSchoolOrgIds: new Set() };
      if (deltaPath) {
        // A delta lists only changed terms and courses; a changed class needs all of them (and
        // the district orgs that are not schools), so they come from the bulk export first.
        const bulk = await this.openSource(ctx.signal);
        try {
          const bulkManifest = await readManifest(bulk, ctx.signal);
          for await (const batch of this.pages(bulk, bulkManifest, "orgs", "schools", (row) => mapOrgRow(row, mapCtx), ctx)) void batch;
          await this.loadLookup(bulk, bulkManifest, "academicSessions", (row) => mapSessionRow(row), mapCtx.sessions, ctx);
          await this.loadLookup(bulk, bulkManifest, "courses", (row) => mapCourseRow(row), mapCtx.courses, ctx);
        } finally {
          await bulk.close().catch(() => undefined);
        }
      }

      yield* this.pages(source, manifest, "orgs", "schools", (row) => mapOrgRow(row, mapCtx), ctx);
      await this.loadLookup(source, manifest, "academicSessions", (row) => mapSessionRow(row), mapCtx.sessions, ctx);
      await this.loadLookup(source, manifest, "courses", (row) => mapCourseRow(row), mapCtx.courses, ctx);
      yield* this.pages(source, manifest, "classes", "classes", (row) => mapClassRow(row, mapCtx), ctx);
      yield* this.pages(source, manifest, "users", "users", (row) => mapUserRow(row, mapCtx), ctx);
      yield* this.pages(source, manifest, "enrollments", "enrollments", (row) => mapEnrollmentRow(row), ctx);

      const isDelta = isDeltaExport(manifest, ctx.logger);
      // Only a provider with a delta folder can sync incrementally; its cursor marks a completed read.
      const nextCursor = this.options.config?.deltaPath ? new Date().toISOString() : null;
      // An incremental run that found a bulk snapshot has read everything: it is a full sync.
      return { nextCursor, isDelta, ...(ctx.mode === "incremental" && !isDelta ? { fellBackToFull: true } : {}) };
    } catch (err) {
      // After an abort, the closed connection's errors are the cancellation, not a source failure.
      if (ctx.signal.aborted && !(err instanceof ConnectorError && err.code === "CANCELLED")) {
        throw new ConnectorError("CANCELLED", "The sync was cancelled", { cause: err });
      }
      throw err;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      await source.close();
    }
  }

  private async *rows(source: CsvSource, manifest: OneRosterManifest, key: OneRosterFileKey, ctx: ExtractContext): AsyncGenerator<{ row?: CsvRow; rejected?: RejectedRecord }[], void, void> {
    const mode = manifest.modes[key];
    if (mode === "absent") return;
    const { fileName, required } = ONEROSTER_FILES[key];
    const requiredColumns = mode === "delta" ? [...required, ...DELTA_REQUIRED_COLUMNS] : required;
    const stream = await source.open(fileName);
    const dropColumns = key === "users" ? ["password"] : [];
    for await (const items of readCsv(stream, { fileName, requiredColumns, dropColumns, maxRecordChars: this.options.maxRecordChars, signal: ctx.signal })) {
      yield items.map((item) =>
        "row" in item
          ? { row: item.row }
          : { rejected: { externalId: leadingId(item.error.text), message: `${fileName} line ${item.error.line}: ${item.error.message}`, raw: { line: item.error.text } } },
      );
    }
  }

  private async *pages<K extends EntityKind>(
    source: CsvSource,
    manifest: OneRosterManifest,
    key: OneRosterFileKey,
    kind: K,
    map: (row: CsvRow) => MapOutcome<CanonicalRecordByKind[K]>,
    ctx: ExtractContext,
  ): AsyncGenerator<ExtractBatch, void, void> {
    const pageSize = this.options.pageSize ?? ONEROSTER_CSV_PAGE_SIZE;
    let records: CanonicalRecordByKind[K][] = [];
    let rejected: RejectedRecord[] = [];
    const page = () => ({ kind, records, ...(rejected.length > 0 ? { rejected } : {}) }) as ExtractBatch;
    for await (const items of this.rows(source, manifest, key, ctx)) {
      for (const item of items) {
        if (item.rejected) {
          rejected.push(item.rejected);
        } else if (item.row) {
          const outcome = map(item.row);
          if ("record" in outcome) records.push(outcome.record);
          else if ("rejected" in outcome) rejected.push(outcome.rejected);
        }
        if (records.length + rejected.length >= pageSize) {
          yield page();
          records = [];
          rejected = [];
          if (ctx.signal.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
        }
      }
    }
    if (records.length + rejected.length > 0) yield page();
  }

  private async loadLookup<V>(
    source: CsvSource,
    manifest: OneRosterManifest,
    key: OneRosterFileKey,
    map: (row: CsvRow) => [string, V] | null,
    into: Map<string, V>,
    ctx: ExtractContext,
  ): Promise<void> {
    for await (const items of this.rows(source, manifest, key, ctx)) {
      for (const item of items) {
        // A bad session/course row only loses a class's term or course title, so it is logged, not counted.
        if (item.rejected) ctx.logger.warn("Skipped an unreadable row", { message: item.rejected.message });
        const entry = item.row ? map(item.row) : null;
        if (entry) into.set(entry[0], entry[1]);
      }
    }
  }
}

/** The sourcedId of a row that is not valid CSV, when its first field is plain text (so the record error names it). */
function leadingId(text: string): string | null {
  const m = /^([^",\r\n]+),/.exec(text);
  return m ? m[1].trim() || null : null;
}

/**
 * ExtractResult has one flag for the whole export, while the manifest has one mode per file.
 * Absence may only deactivate when every kind's file is a bulk snapshot: a delta file lists
 * changes only, and an absent file says nothing (§4.4), so either makes the whole run a delta.
 */
function isDeltaExport(manifest: OneRosterManifest, logger: ConnectorLogger): boolean {
  const modes = KIND_FILES.map(([, key]) => manifest.modes[key]);
  const allBulk = modes.every((m: FileMode) => m === "bulk");
  if (!allBulk && modes.some((m) => m === "bulk")) {
    logger.warn("OneRoster CSV export mixes bulk with delta/absent files; nothing will be deactivated by absence this run", { modes: manifest.modes });
  }
  return !allBulk;
}
