import type { ExtractBatch, EntityKind, PreparedByKind } from "@sis-sync/roster";
import { RecordFingerprinter, contentHash, fingerprintText, prepareClass, prepareEnrollment, prepareSchool, prepareUser } from "@sis-sync/roster";
import type { PoolClient } from "pg";
import { openCopy, type CopyStream } from "./copy-stream";
import { copyLine, rawJson, type CopyValue } from "./copy-text";
import type { UnchangedRecords } from "./unchanged-records";

const BASE_COLUMNS = ["run_id", "seq", "external_id", "deleted", "error", "content_hash", "record_fp", "raw"];

export const STAGING_TABLES: Record<EntityKind, string> = {
  schools: "sis_raw_schools",
  classes: "sis_raw_classes",
  users: "sis_raw_users",
  enrollments: "sis_raw_enrollments",
};

const KIND_COLUMNS: Record<EntityKind, string[]> = {
  schools: ["name", "school_number", "nces_id"],
  classes: [
    "school_external_id",
    "title",
    "class_code",
    "subject",
    "period",
    "term_external_id",
    "term_name",
    "term_start_date",
    "term_end_date",
    "course_external_id",
    "course_title",
  ],
  users: ["role", "given_name", "family_name", "email", "email_key", "username", "student_number", "grades", "school_external_ids"],
  enrollments: ["class_external_id", "user_external_id", "role", "primary", "begin_date", "end_date"],
};

type Fields<K extends EntityKind> = (p: PreparedByKind[K]) => CopyValue[];
const KIND_FIELDS: { [K in EntityKind]: Fields<K> } = {
  schools: (p) => [p.name, p.schoolNumber, p.ncesId],
  classes: (p) => [
    p.schoolExternalId,
    p.title,
    p.classCode,
    p.subject,
    p.period,
    p.termExternalId,
    p.termName,
    p.termStartDate,
    p.termEndDate,
    p.courseExternalId,
    p.courseTitle,
  ],
  users: (p) => [p.role, p.givenName, p.familyName, p.email, p.emailKey, p.username, p.studentNumber, p.grades, p.schoolExternalIds],
  enrollments: (p) => [p.classExternalId, p.userExternalId, p.role, p.primary, p.beginDate, p.endDate],
};

const PREPARE: { [K in EntityKind]: (r: never) => PreparedByKind[K] } = {
  schools: prepareSchool as never,
  classes: prepareClass as never,
  users: prepareUser as never,
  enrollments: prepareEnrollment as never,
};

const DUPLICATE_OF_UNCHANGED = "Duplicate external id in this export (an identical copy came earlier)";

/**
 * Streams extracted pages into `sis_raw_*` with one COPY per kind (pages of a kind arrive
 * together: schools → classes → users → enrollments). Back-pressure comes from the COPY
 * stream, so memory holds one page at a time whatever the export's size.
 *
 * With `unchanged` (full runs), a record whose fingerprint matches its active link is counted
 * and skipped: it is neither normalised nor staged (see UnchangedRecords).
 */
export class StagingWriter {
  private stream: CopyStream | null = null;
  private kind: EntityKind | null = null;
  private readonly seq: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  /** Records skipped as unchanged, per kind. */
  readonly skipped: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  private readonly fingerprint = new RecordFingerprinter();

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
    private readonly unchanged: UnchangedRecords | null = null,
  ) {}

  /** Rows written to staging per kind (records to load and record errors). */
  get staged(): Record<EntityKind, number> {
    return { ...this.seq };
  }

  /** Records seen so far per kind (staged, rejected and skipped): the run's `progress`. */
  get counts(): Record<EntityKind, number> {
    const c = { ...this.seq };
    for (const k of Object.keys(c) as EntityKind[]) c[k] += this.skipped[k];
    return c;
  }

  async write(batch: ExtractBatch): Promise<void> {
    const kind = batch.kind;
    if (this.kind !== kind) {
      await this.endCopy();
      this.kind = kind;
      await this.unchanged?.prepare(kind);
      const columns = [...BASE_COLUMNS, ...KIND_COLUMNS[kind]].map((c) => `"${c}"`).join(", ");
      this.stream = openCopy(this.client, `COPY ${STAGING_TABLES[kind]} (${columns}) FROM STDIN`);
    }
    let text = "";
    const fields = KIND_FIELDS[kind] as Fields<EntityKind>;
    const fp = this.fingerprint;
    await this.unchanged?.ready(kind, batch.records.length);
    const held = this.unchanged?.fingerprintsOf(kind);
    let skipped = 0;
    for (const rec of batch.records) {
      fp.of(kind, rec as never);
      const claim = held?.claim(fp.hi, fp.lo);
      if (claim === "unchanged") {
        skipped++;
        continue;
      }
      if (claim === "again") {
        text += this.errorLine(kind, rec.externalId, DUPLICATE_OF_UNCHANGED, rec.raw);
        continue;
      }
      const p = PREPARE[kind](rec as never);
      text += copyLine([this.runId, ++this.seq[kind], p.externalId, p.deleted, p.error, p.hash, fingerprintText(fp.hi, fp.lo), rawJson(rec.raw), ...fields(p as never)]);
    }
    this.skipped[kind] += skipped;
    for (const rej of batch.rejected ?? []) text += this.errorLine(kind, rej.externalId, rej.message || "Rejected by the connector", rej.raw);
    await this.stream!.write(text);
  }

  private errorLine(kind: EntityKind, externalId: string | null | undefined, message: string, raw: unknown): string {
    const extra = KIND_COLUMNS[kind].map(() => null);
    const id = (typeof externalId === "string" ? externalId.trim() : "") || null;
    return copyLine([this.runId, ++this.seq[kind], id, false, message, contentHash([]), null, rawJson(raw), ...extra]);
  }

  private async endCopy(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (s) await s.end();
  }

  /** Ends the open COPY (commits its rows) and records the links this run did not see unchanged. */
  async close(): Promise<void> {
    await this.endCopy();
    await this.unchanged?.finish();
  }

  /** Abandons the open COPY (cancel or failure): its rows are rolled back. */
  async abort(): Promise<void> {
    this.unchanged?.discard();
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    await s.abort();
  }
}
