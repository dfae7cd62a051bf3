/**
 * Clever Data API v3.0 wire shapes (Clever/swagger-api `v3.0.yml`). Every field Clever marks
 * `x-nullable` is optional and nullable here: the mappers read them defensively.
 */

export type CleverGrade = string;

export interface CleverLink {
  rel: "next" | "prev" | "self" | string;
  uri: string;
}

/** `{ data: [{ data: {…} }], links: [...] }`; older responses also carry a per-item `uri`. */
export interface CleverListEnvelope<T> {
  data: Array<{ data: T; uri?: string }>;
  links?: CleverLink[];
}

export interface CleverSingleEnvelope<T> {
  data: T;
}

export interface CleverDistrict {
  id: string;
  name?: string | null;
}

export interface CleverSchool {
  id: string;
  district?: string;
  name?: string | null;
  sis_id?: string | null;
  school_number?: string | null;
  state_id?: string | null;
  nces_id?: string | null;
  low_grade?: CleverGrade | null;
  high_grade?: CleverGrade | null;
}

export interface CleverTerm {
  id: string;
  name?: string | null;
  start_date?: string | null;
  end_date?: string | null;
}

export interface CleverCourse {
  id: string;
  name?: string | null;
  number?: string | null;
}

export interface CleverSection {
  id: string;
  school?: string | null;
  name?: string | null;
  sis_id?: string | null;
  section_number?: string | null;
  period?: string | null;
  subject?: string | null;
  grade?: CleverGrade | null;
  term_id?: string | null;
  course?: string | null;
  /** The primary teacher's user id. */
  teacher?: string | null;
  teachers?: string[] | null;
  students?: string[] | null;
}

export interface CleverCredentials {
  district_username?: string | null;
}

export interface CleverStudentRole {
  sis_id?: string | null;
  student_number?: string | null;
  state_id?: string | null;
  grade?: CleverGrade | null;
  school?: string | null;
  schools?: string[] | null;
  credentials?: CleverCredentials | null;
}

export interface CleverTeacherRole {
  sis_id?: string | null;
  teacher_number?: string | null;
  state_id?: string | null;
  school?: string | null;
  schools?: string[] | null;
  credentials?: CleverCredentials | null;
}

export interface CleverStaffRole {
  staff_id?: string | null;
  schools?: string[] | null;
  credentials?: CleverCredentials | null;
}

export interface CleverDistrictAdminRole {
  title?: string | null;
}

export interface CleverUser {
  id: string;
  email?: string | null;
  name?: { first?: string | null; middle?: string | null; last?: string | null } | null;
  roles?: {
    student?: CleverStudentRole | null;
    teacher?: CleverTeacherRole | null;
    staff?: CleverStaffRole | null;
    district_admin?: CleverDistrictAdminRole | null;
    contact?: unknown;
  } | null;
}

/** One entry of `GET https://clever.com/oauth/tokens?owner_type=district`. */
export interface CleverTokenEntry {
  id?: string;
  access_token?: string;
  owner?: { type?: string; id?: string } | null;
  scopes?: string[];
}
