/**
 * One measured step of the benchmark, in its own process so its peak RSS is what a worker
 * running that sync would need. Prints one JSON line: { ms, peakRssMiB, records, stats? }.
 *   task=read   iterate the source (generator → canonical pages), write nothing
 *   task=floor  the same rows (normalised, hashed, encoded) COPYed into plain tables (no index, no
 *               constraint): the least any sync can do; unlogged=true for tables like staging
 *   task=sync   executeSync, as the worker calls it (mode=incremental deltaFile=… for a delta read);
 *               baseUrl=… clientId=… clientSecret=… [cursor=…] reads the OneRoster REST peer of
 *               sim-child.ts over HTTP through the production connector instead of the generator
 *   task=delta  writes day n's delta pages (records modified since day n-1, and deletions) to out=…,
 *               one JSON page a line after a first line with the record count
 */
// bench/ is not a workspace package: it reaches the packages by path (their own node_modules resolve their deps).
import { createReadStream, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createDb } from "../packages/db/src";
import { createLogger } from "../packages/logger/src";
import { prepareClass, prepareEnrollment, prepareSchool, prepareUser, type ExtractBatch, type SisConnector } from "../packages/roster/src";
import { DISTRICT_SIZES, generateDistrict, mutate, type District, type DistrictSize, type RecordSet } from "../packages/sis-simulator/src/generator";
import { createConnector } from "../packages/connectors/src";
import { executeSync } from "../packages/sync-engine/src";
import { openCopy, type CopyStream } from "../packages/sync-engine/src/copy-stream";
import { copyLine, rawJson } from "../packages/sync-engine/src/copy-text";
import { classRecord, districtConnector, districtPages, enrollmentRecord, pagesConnector, schoolRecord, userRecord } from "../packages/sync-engine/test/helpers/district-connector";

const args = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
const size = args.size as DistrictSize;
const day = Number(args.day ?? 0);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);

let previous: District | null = null;
function district(): District {
  let d = generateDistrict({ ...DISTRICT_SIZES[size], seed: 42 });
  // Day n: n successive daily changes at the simulator's default rates (≈1 % of each kind).
  for (let i = 1; i <= day; i++) {
    previous = d;
    d = mutate(d, { seed: 42 + i }).district;
  }
  return d;
}

/**
 * mode=incremental (issue #9): what a source's delta holds for day n — the records modified since
 * day n-1 (dateLastModified > the cursor, as the OneRoster peer serves it) and the records gone since
 * as deletions (tobedeleted). Built before the clock starts: the source computes a delta, the sync reads it.
 */
function deltaPages(prev: District, next: District): ExtractBatch[] {
  const gone = <T extends { id: string }>(before: RecordSet<T>, after: RecordSet<T>) => [...before].filter((r) => after.indexOf(r.id) < 0);
  const changed = <T extends { modifiedDay: number }>(set: Iterable<T>) => [...set].filter((r) => r.modifiedDay > prev.day);
  const del = <R extends object>(r: R) => ({ ...r, deleted: true });
  return [
    { kind: "schools", records: [...changed(next.schools).map(schoolRecord), ...gone(prev.schools, next.schools).map((s) => del(schoolRecord(s)))] },
    { kind: "classes", records: [...changed(next.classes).map((c) => classRecord(c, next)), ...gone(prev.classes, next.classes).map((c) => del(classRecord(c, prev)))] },
    { kind: "users", records: [...changed(next.users).map(userRecord), ...gone(prev.users, next.users).map((u) => del(userRecord(u)))] },
    { kind: "enrollments", records: [...changed(next.enrollments).map(enrollmentRecord), ...gone(prev.enrollments, next.enrollments).map((e) => del(enrollmentRecord(e)))] },
  ] as ExtractBatch[];
}

/** Records a page, as the in-process source pages them. */
const PAGE = 1000;

/**
 * A delta file read as a connector reads a SIS: one page parsed at a time while the sync runs,
 * so the step holds one page of the delta, not all of it, and its parsing is timed with the sync.
 */
function deltaFileConnector(path: string): SisConnector {
  return {
    async test() {
      return { success: true, message: "ok" };
    },
    async *extract() {
      let header = true;
      for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
        if (header) header = false;
        else if (line) yield JSON.parse(line) as ExtractBatch;
      }
      return { nextCursor: null };
    },
  };
}

async function deltaRecordCount(path: string): Promise<number> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) return (JSON.parse(line) as { records: number }).records;
  return 0;
}

const PREP = { schools: prepareSchool, classes: prepareClass, users: prepareUser, enrollments: prepareEnrollment } as const;

function lineOf(batch: ExtractBatch, rec: ExtractBatch["records"][number], seq: number): string {
  const p = PREP[batch.kind](rec as never) as unknown as Record<string, unknown>;
  const fields = Object.entries(p)
    .filter(([k]) => !["externalId", "deleted", "error", "hash"].includes(k))
    .map(([, v]) => (Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean | null)));
  return copyLine([seq, p.externalId as string, rawJson(rec.raw), ...fields]);
}

async function main() {
  if (args.task === "delta") {
    // Written by a process of its own, so the incremental sync's process holds only the delta
    // (as a worker would) and its peak RSS is not the generator's two districts.
    const d = district();
    const batches = previous ? deltaPages(previous, d) : [];
    const lines = [JSON.stringify({ records: batches.reduce((n, b) => n + b.records.length, 0) })];
    for (const b of batches) {
      for (let i = 0; i < b.records.length; i += PAGE) lines.push(JSON.stringify({ kind: b.kind, records: b.records.slice(i, i + PAGE) }));
    }
    writeFileSync(args.out, lines.join("\n") + "\n");
    clearInterval(sampler);
    process.stdout.write(JSON.stringify({ ms: 0, peakRssMiB: 0, records: 0 }) + "\n");
    return;
  }
  const incremental = args.mode === "incremental";
  const fromFile = incremental && args.deltaFile ? args.deltaFile : null;
  const overHttp = args.baseUrl !== undefined;
  let d: District | null = fromFile || overHttp ? null : district();
  const delta = !fromFile && incremental && previous && d ? deltaPages(previous, d) : null;
  const records = overHttp
    ? 0 // counted from the run's progress below
    : fromFile
    ? await deltaRecordCount(fromFile)
    : delta
      ? delta.reduce((n, b) => n + b.records.length, 0)
      : d!.schools.count + d!.classes.count + d!.users.count + d!.enrollments.count;
  // The source's own memory is not the step's: an incremental step keeps only its delta, and peak
  // RSS is counted from here (after a collection) rather than from the generator's set-up.
  previous = null;
  if (delta) d = null;
  (globalThis as { gc?: () => void }).gc?.();
  peak = process.memoryUsage().rss;
  // What a worker has before a sync starts: its logger, its pool connected (two connections a sync)
  // and the run row, which the API inserts when the sync is requested. None is part of the sync's time.
  const syncDb = args.task === "sync" ? createDb(args.url, { max: 2 }) : null;
  const logger = createLogger({ service: "bench", level: process.env.BENCH_LOG_LEVEL ?? "warn", stream: process.stderr });
  let runId = "";
  if (syncDb) {
    const warm = await Promise.all([syncDb.pool.connect(), syncDb.pool.connect()]);
    for (const c of warm) c.release();
    // Raw SQL, not the drizzle table: the run row's other columns are the platform's business.
    const { rows } = await syncDb.pool.query<{ id: string }>(
      "insert into sis_sync_runs (provider_id, tenant_id, status, is_manual) values ($1, $2, 'IN_PROGRESS', true) returning id",
      [args.provider, args.tenant],
    );
    runId = rows[0].id;
  }
  const t0 = performance.now();
  let out: Record<string, unknown> = {};
  if (args.task === "read") {
    let n = 0;
    for (const batch of districtPages(d!)) n += batch.records.length;
    out = { read: n };
  } else if (args.task === "floor") {
    const { pool, close } = createDb(args.url, { max: 1 });
    const client = await pool.connect();
    const widths = { schools: 3, classes: 11, users: 9, enrollments: 6 };
    for (const [k, w] of Object.entries(widths)) {
      const cols = ["seq int", "external_id text", "raw json", ...Array.from({ length: w }, (_, i) => `f${i} text`)].join(", ");
      await client.query(`drop table if exists floor_${k}; create ${args.unlogged === "true" ? "unlogged " : ""}table floor_${k} (${cols})`);
    }
    let stream: CopyStream | null = null;
    let kind = "";
    let seq = 0;
    for (const batch of districtPages(d!)) {
      if (batch.kind !== kind) {
        await stream?.end();
        kind = batch.kind;
        stream = openCopy(client, `COPY floor_${kind} FROM STDIN`);
      }
      let text = "";
      for (const rec of batch.records) text += lineOf(batch, rec, ++seq);
      await stream!.write(text);
    }
    await stream!.end();
    client.release();
    await close();
  } else if (syncDb) {
    const { db, pool } = syncDb;
    let read = 0;
    const outcome = await executeSync({
      db,
      pool,
      run: { id: runId, providerId: args.provider, tenantId: args.tenant, dryRun: false, force: false, mode: incremental ? "incremental" : "full" },
      provider: {
        id: args.provider,
        tenantId: args.tenant,
        providerType: "ONEROSTER_API",
        options: { createUsers: true, maxDeactivationRatio: 0.2 },
        syncCursor: args.cursor ?? null,
        incremental: overHttp,
      },
      connector: overHttp
        ? createConnector(
            "ONEROSTER_API",
            { baseUrl: args.baseUrl, clientId: args.clientId, clientSecret: args.clientSecret },
            // Production settings (rate limit, page size, retries), but a loopback host is allowed.
            { providerId: args.provider, logger, redis: null, redisPrefix: "bench:", allowPrivateHosts: true, requireHttps: false },
          )
        : fromFile
        ? deltaFileConnector(fromFile)
        : delta
        ? pagesConnector(() => delta)
        : districtConnector(d!),
      signal: new AbortController().signal,
      logger,
      setPhase: async () => undefined,
      reportProgress: (p) => void (read = Object.values(p).reduce((n: number, v) => n + Number(v ?? 0), 0)),
    });
    await pool.query("update sis_sync_runs set status = $2, stats = $3, completed_at = now() where id = $1", [runId, outcome.status, JSON.stringify(outcome.stats)]);
    out = { status: outcome.status, stats: outcome.stats, errorMessage: outcome.errorMessage, nextCursor: outcome.nextCursor ?? null, ...(overHttp ? { records: read } : {}) };
  }
  const ms = performance.now() - t0;
  await syncDb?.close();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(JSON.stringify({ ms, peakRssMiB: peak / 1048576, records, ...out }) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
