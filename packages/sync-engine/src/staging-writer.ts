import type { ExtractBatch, EntityKind, PreparedByKind, RejectedRecord } from "@sis-sync/roster";
import { prepareClass, prepareEnrollment, prepareSchool, prepareUser, contentHash } from "@sis-sync/roster";
import type { PoolClient } from "pg";
import { openCopy, type CopyStream } from "./copy-stream";
import { copyLine, rawJson, type CopyValue } from "./copy-text";

const BASE_COLUMNS = ["run_id", "seq", "external_id", "deleted", "error", "content_hash", "raw"];

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

/**
 * Streams extracted pages into `sis_raw_*` with one COPY per kind (pages of a kind arrive
 * together: schools → classes → users → enrollments). Back-pressure comes from the COPY
 * stream, so memory holds one page at a time whatever the export's size.
 */
export class StagingWriter {
  private stream: CopyStream | null = null;
  private kind: EntityKind | null = null;
  private readonly seq: Record<EntityKind, number> = { schools: 0, classes: 0, users: 0, enrollments: 0 };

  constructor(
    private readonly client: PoolClient,
    private readonly runId: string,
  ) {}

  /** Records seen so far per kind (including rejected ones): the run's `progress`. */
  get counts(): Record<EntityKind, number> {
    return { ...this.seq };
  }

  async write(batch: ExtractBatch): Promise<void> {
    const kind = batch.kind;
    if (this.kind !== kind) {
      await this.close();
      this.kind = kind;
      const columns = [...BASE_COLUMNS, ...KIND_COLUMNS[kind]].map((c) => `"${c}"`).join(", ");
      this.stream = openCopy(this.client, `COPY ${STAGING_TABLES[kind]} (${columns}) FROM STDIN`);
    }
    let text = "";
    const fields = KIND_FIELDS[kind] as Fields<EntityKind>;
    for (const rec of batch.records) {
      const p = PREPARE[kind](rec as never);
      text += copyLine([this.runId, ++this.seq[kind], p.externalId, p.deleted, p.error, p.hash, rawJson(rec.raw), ...fields(p as never)]);
    }
    for (const rej of batch.rejected ?? []) text += this.rejectedLine(kind, rej);
    await this.stream!.write(text);
  }

  private rejectedLine(kind: EntityKind, rej: RejectedRecord): string {
    const extra = KIND_COLUMNS[kind].map(() => null);
    const externalId = rej.externalId?.trim() || null;
    return copyLine([this.runId, ++this.seq[kind], externalId, false, rej.message || "Rejected by the connector", contentHash([]), rawJson(rej.raw), ...extra]);
  }

  /** Ends the open COPY (commits its rows). */
  async close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    await s.end();
  }

  /** Abandons the open COPY (cancel or failure): its rows are rolled back. */
  async abort(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    await s.abort();
  }
}
