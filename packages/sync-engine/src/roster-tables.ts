import type { EntityKind } from "@sis-sync/roster";

/** Each kind's roster entities (one row per entity per tenant). */
export const ENTITY_TABLES: Record<EntityKind, string> = {
  schools: "roster_schools",
  classes: "roster_classes",
  users: "roster_users",
  enrollments: "roster_enrollments",
};

/** Each kind's links from (provider, external id) to a roster entity. */
export const SOURCE_TABLES: Record<EntityKind, string> = {
  schools: "roster_school_sources",
  classes: "roster_class_sources",
  users: "roster_user_sources",
  enrollments: "roster_enrollment_sources",
};
