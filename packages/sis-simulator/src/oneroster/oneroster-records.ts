/** District records in OneRoster 1.1 JSON shapes (REST binding). */
import { dayTimestamp, type District, type SimClass, type SimCourse, type SimEnrollment, type SimSchool, type SimSession, type SimUser } from "../generator";

type Json = Record<string, unknown>;

export interface OneRosterStyle {
  /** Absolute URL of the OneRoster root the request came in on (GUIDRef hrefs). */
  root: string;
  /** ClassLink sends `enabledUser` as the string "true"; plain OneRoster as a boolean. */
  stringBooleans: boolean;
}

/** An org row: the district itself or one of its schools. */
export type OrgEntry = { id: string; school: SimSchool | null };

function ref(style: OneRosterStyle, path: string, type: string, sourcedId: string): Json {
  return { href: `${style.root}/${path}/${sourcedId}`, sourcedId, type };
}

function base(id: string, modifiedDay: number): Json {
  return { sourcedId: id, status: "active", dateLastModified: dayTimestamp(modifiedDay) };
}

export function orgJson(style: OneRosterStyle, d: District, org: OrgEntry): Json {
  if (!org.school) {
    return {
      ...base(d.org.id, 0),
      name: d.org.name,
      type: "district",
      identifier: d.org.identifier,
      parent: null,
      children: [...d.schools].map((s) => ref(style, "orgs", "org", s.id)),
    };
  }
  const s = org.school;
  return {
    ...base(s.id, s.modifiedDay),
    name: s.name,
    type: "school",
    identifier: s.schoolNumber,
    parent: ref(style, "orgs", "org", d.org.id),
    children: [],
  };
}

export function sessionJson(style: OneRosterStyle, d: District, s: SimSession): Json {
  return {
    ...base(s.id, s.modifiedDay),
    title: s.title,
    type: s.type,
    startDate: s.startDate,
    endDate: s.endDate,
    parent: s.parentId ? ref(style, "academicSessions", "academicSession", s.parentId) : null,
    children: s.parentId ? [] : [...d.terms].map((t) => ref(style, "academicSessions", "academicSession", t.id)),
    schoolYear: s.schoolYear,
  };
}

export function courseJson(style: OneRosterStyle, d: District, c: SimCourse): Json {
  return {
    ...base(c.id, c.modifiedDay),
    title: c.title,
    schoolYear: ref(style, "academicSessions", "academicSession", d.sessions.at(0).id),
    courseCode: c.courseCode,
    grades: [c.grade],
    subjects: [c.subject],
    org: ref(style, "orgs", "org", d.org.id),
    subjectCodes: [],
    resources: [],
  };
}

export function classJson(style: OneRosterStyle, c: SimClass): Json {
  return {
    ...base(c.id, c.modifiedDay),
    title: c.title,
    classCode: c.classCode,
    classType: "scheduled",
    location: `Room ${100 + Number(c.period)}`,
    grades: [c.grade],
    subjects: [c.subject],
    course: ref(style, "courses", "course", c.courseId),
    school: ref(style, "orgs", "org", c.schoolId),
    terms: [ref(style, "academicSessions", "academicSession", c.termId)],
    subjectCodes: [],
    periods: [c.period],
    resources: [],
  };
}

export function userJson(style: OneRosterStyle, d: District, u: SimUser): Json {
  const identifier = u.studentNumber ?? u.staffNumber ?? "";
  return {
    ...base(u.id, u.modifiedDay),
    username: u.username,
    userIds: [{ type: u.role === "student" ? "studentNumber" : "staffNumber", identifier }],
    enabledUser: style.stringBooleans ? "true" : true,
    givenName: u.givenName,
    familyName: u.familyName,
    middleName: u.middleName,
    role: u.role,
    identifier,
    email: u.email ?? "",
    sms: "",
    phone: "",
    agents: [],
    orgs: (u.schoolIds.length ? u.schoolIds : [d.org.id]).map((id) => ref(style, "orgs", "org", id)),
    grades: u.grade ? [u.grade] : [],
    password: "",
  };
}

export function enrollmentJson(style: OneRosterStyle, e: SimEnrollment): Json {
  return {
    ...base(e.id, e.modifiedDay),
    user: ref(style, "users", "user", e.userId),
    class: ref(style, "classes", "class", e.classId),
    school: ref(style, "orgs", "org", e.schoolId),
    role: e.role,
    primary: style.stringBooleans ? String(e.primary) : e.primary,
    beginDate: null,
    endDate: null,
  };
}
