import { sql } from "drizzle-orm";
import { bigint, boolean, date, index, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The canonical roster (issue #4). One row per entity per tenant; `*_sources` link each entity
 * to every (provider, external id) that holds it, so one person can come from several providers
 * of a tenant. Rows are never deleted: an entity is `inactive` once no active source remains.
 *
 * `content_hash` on an entity is the fingerprint of the fields last written to it; on a source it
 * is the fingerprint of what that provider last sent. The load compares the source hash to decide
 * whether a provider's record changed, so two providers with slightly different data do not
 * overwrite each other on every run.
 */
export const ROSTER_STATUSES = ["active", "inactive"] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];
export const rosterStatusEnum = pgEnum("roster_status", ROSTER_STATUSES);

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const rosterSchools = pgTable(
  "roster_schools",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    status: rosterStatusEnum("status").notNull().default("active"),
    name: text("name").notNull(),
    schoolNumber: text("school_number"),
    ncesId: text("nces_id"),
    contentHash: text("content_hash").notNull(),
    ...timestamps,
  },
  (t) => [index("roster_schools_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const rosterClasses = pgTable(
  "roster_classes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    status: rosterStatusEnum("status").notNull().default("active"),
    /** roster_schools.id; references are checked by the load, not by a foreign key (migration 0006). */
    schoolId: uuid("school_id").notNull(),
    title: text("title").notNull(),
    classCode: text("class_code"),
    subject: text("subject"),
    period: text("period"),
    termExternalId: text("term_external_id"),
    termName: text("term_name"),
    termStartDate: date("term_start_date", { mode: "string" }),
    termEndDate: date("term_end_date", { mode: "string" }),
    courseExternalId: text("course_external_id"),
    courseTitle: text("course_title"),
    contentHash: text("content_hash").notNull(),
    ...timestamps,
  },
  (t) => [index("roster_classes_tenant_idx").on(t.tenantId, t.createdAt), index("roster_classes_school_idx").on(t.schoolId)],
);

export const rosterUsers = pgTable(
  "roster_users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    status: rosterStatusEnum("status").notNull().default("active"),
    role: text("role").notNull(),
    givenName: text("given_name").notNull(),
    familyName: text("family_name").notNull(),
    /** As the SIS spelled it (display). */
    email: text("email"),
    /** lower(email): what users are matched on within a tenant (seed "Matching Logic"). */
    emailKey: text("email_key"),
    username: text("username"),
    studentNumber: text("student_number"),
    grades: text("grades").array().notNull().default(sql`'{}'::text[]`),
    contentHash: text("content_hash").notNull(),
    ...timestamps,
  },
  (t) => [
    index("roster_users_tenant_idx").on(t.tenantId, t.createdAt),
    index("roster_users_email_idx").on(t.tenantId, t.emailKey).where(sql`${t.emailKey} is not null`),
    index("roster_users_student_number_idx").on(t.tenantId, t.studentNumber).where(sql`${t.studentNumber} is not null`),
  ],
);

export const rosterEnrollments = pgTable(
  "roster_enrollments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: text("tenant_id").notNull(),
    status: rosterStatusEnum("status").notNull().default("active"),
    /** roster_classes.id and roster_users.id, checked by the load (migration 0006). */
    classId: uuid("class_id").notNull(),
    userId: uuid("user_id").notNull(),
    role: text("role").notNull(),
    primary: boolean("primary").notNull().default(false),
    beginDate: date("begin_date", { mode: "string" }),
    endDate: date("end_date", { mode: "string" }),
    contentHash: text("content_hash").notNull(),
    ...timestamps,
  },
  (t) => [
    index("roster_enrollments_tenant_idx").on(t.tenantId, t.createdAt),
    index("roster_enrollments_class_idx").on(t.classId),
    index("roster_enrollments_user_idx").on(t.userId),
  ],
);

/**
 * A kind's source links: which provider sent an entity under which external id. No foreign keys
 * (migration 0006): the load writes every row of these tables and checks what it references,
 * providers are only soft-deleted and roster rows are never deleted.
 */
function sourceTable<N extends string>(name: N) {
  return pgTable(
    name,
    {
      /** sis_providers.id */
      providerId: uuid("provider_id").notNull(),
      externalId: text("external_id").notNull(),
      tenantId: text("tenant_id").notNull(),
      /** The entity table's id. */
      entityId: uuid("entity_id").notNull(),
      status: rosterStatusEnum("status").notNull().default("active"),
      contentHash: text("content_hash").notNull(),
      /**
       * Fingerprint of the record as the connector last delivered it (before normalisation), set by
       * the load. A full sync skips staging a record whose fingerprint matches its active link
       * (issue #4: a no-change re-sync costs about a read). Null when the link must be re-staged
       * next time (its entity was deactivated by a cascade, or it predates fingerprints).
       */
      recordFp: bigint("record_fp", { mode: "bigint" }),
      ...timestamps,
    },
    (t) => [primaryKey({ columns: [t.providerId, t.externalId] }), index(`${name}_entity_idx`).on(t.entityId)],
  );
}

export const rosterSchoolSources = sourceTable("roster_school_sources");
export const rosterClassSources = sourceTable("roster_class_sources");
export const rosterUserSources = sourceTable("roster_user_sources");
export const rosterEnrollmentSources = sourceTable("roster_enrollment_sources");

export type RosterSchoolRow = typeof rosterSchools.$inferSelect;
export type RosterClassRow = typeof rosterClasses.$inferSelect;
export type RosterUserRow = typeof rosterUsers.$inferSelect;
export type RosterEnrollmentRow = typeof rosterEnrollments.$inferSelect;
export type RosterSourceRow = typeof rosterUserSources.$inferSelect;
