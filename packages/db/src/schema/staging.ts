import { bigint, boolean, date, index, integer, json, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Staging (`sis_raw_*`, seed "Transform Phase"): the records of a run as extracted — external id,
 * raw JSON for debugging, normalised fields, content hash, and `error` as the processing flag
 * (a record error: not loaded, listed by /runs/:id/errors). Rows are keyed by (run_id, seq), seq
 * being the record's position among the staged ones, so COPY appends cheaply; old runs are pruned.
 * A full run does not stage a record that arrives exactly as its provider last sent it (same
 * fingerprint on an active link, see `record_fp`): it is only counted as unchanged.
 *
 * The migration makes these tables UNLOGGED: staging is rebuilt by the next run, so it need not
 * survive a crash, and skipping WAL keeps the COPY close to the raw-copy floor. No foreign key to
 * the run for the same reason (checked per row).
 */
const stagingBase = {
  runId: uuid("run_id").notNull(),
  seq: integer("seq").notNull(),
  externalId: text("external_id"),
  deleted: boolean("deleted").notNull().default(false),
  error: text("error"),
  contentHash: text("content_hash").notNull(),
  /** The record's fingerprint (see the source tables' `record_fp`), stored on its link by the load. */
  recordFp: bigint("record_fp", { mode: "bigint" }),
  raw: json("raw"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
};

export const sisRawSchools = pgTable(
  "sis_raw_schools",
  {
    ...stagingBase,
    name: text("name"),
    schoolNumber: text("school_number"),
    ncesId: text("nces_id"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const sisRawClasses = pgTable(
  "sis_raw_classes",
  {
    ...stagingBase,
    schoolExternalId: text("school_external_id"),
    title: text("title"),
    classCode: text("class_code"),
    subject: text("subject"),
    period: text("period"),
    termExternalId: text("term_external_id"),
    termName: text("term_name"),
    termStartDate: date("term_start_date", { mode: "string" }),
    termEndDate: date("term_end_date", { mode: "string" }),
    courseExternalId: text("course_external_id"),
    courseTitle: text("course_title"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const sisRawUsers = pgTable(
  "sis_raw_users",
  {
    ...stagingBase,
    role: text("role"),
    givenName: text("given_name"),
    familyName: text("family_name"),
    email: text("email"),
    emailKey: text("email_key"),
    username: text("username"),
    studentNumber: text("student_number"),
    grades: text("grades").array(),
    schoolExternalIds: text("school_external_ids").array(),
    /** Set by matching for a record without a source link that matched an existing user. */
    matchUserId: uuid("match_user_id"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

export const sisRawEnrollments = pgTable(
  "sis_raw_enrollments",
  {
    ...stagingBase,
    classExternalId: text("class_external_id"),
    userExternalId: text("user_external_id"),
    role: text("role"),
    primary: boolean("primary"),
    beginDate: date("begin_date", { mode: "string" }),
    endDate: date("end_date", { mode: "string" }),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/**
 * The active links of a provider that a full run did not see unchanged: the fingerprints left
 * unclaimed after the extract skipped unchanged records (issue #4). Validation and the soft
 * deletes read them instead of staging every unchanged record. UNLOGGED and pruned like staging.
 */
export const sisRawUnseen = pgTable(
  "sis_raw_unseen",
  {
    runId: uuid("run_id").notNull(),
    /** 0 schools, 1 classes, 2 users, 3 enrollments (ENTITY_KINDS order). */
    kind: smallint("kind").notNull(),
    recordFp: bigint("record_fp", { mode: "bigint" }).notNull(),
  },
  // Not unique: two links may share a fingerprint (a 64-bit collision); that only keeps both.
  (t) => [index("sis_raw_unseen_run_idx").on(t.runId, t.kind, t.recordFp)],
);
