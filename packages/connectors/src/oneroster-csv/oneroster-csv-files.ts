/**
 * The OneRoster 1.1 CSV files this connector reads and the columns each must have
 * (shared/research/sis-protocols.md §4.3, the ★ columns). The research marks the ★ list as
 * read from vendor pages, not the spec tables, so only columns that exporters always write
 * are required; optional columns may be absent and read as blank.
 */
export const ONEROSTER_FILES = {
  orgs: { fileName: "orgs.csv", required: ["sourcedId", "name", "type"] },
  academicSessions: { fileName: "academicSessions.csv", required: ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"] },
  courses: { fileName: "courses.csv", required: ["sourcedId", "title", "orgSourcedId"] },
  classes: { fileName: "classes.csv", required: ["sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"] },
  users: { fileName: "users.csv", required: ["sourcedId", "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"] },
  enrollments: { fileName: "enrollments.csv", required: ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"] },
} as const;

export type OneRosterFileKey = keyof typeof ONEROSTER_FILES;

/**
 * A delta file is the only way OneRoster says "deleted" (§4.4): without a `status` column a
 * delta could not express a deletion, so it is required there and optional in bulk files
 * (where it must be blank anyway).
 */
export const DELTA_REQUIRED_COLUMNS = ["status"] as const;

export const MANIFEST_FILE = "manifest.csv";
