/** District records in Clever Data API v3.0 shapes (field names from Clever's v3.0.yml). */
import { dayTimestamp, parseId, type District, type GradeCode, type SimClass, type SimCourse, type SimSchool, type SimSession, type SimUser } from "../generator";

type Json = Record<string, unknown>;

/** Clever's GRADE enum: "Kindergarten", "1".."13". */
export function cleverGrade(grade: GradeCode): string {
  return grade === "KG" ? "Kindergarten" : String(Number(grade));
}

function created(id: string): string {
  return dayTimestamp(parseId(id)?.day ?? 0);
}

/** Clever's `dob` format is M/D/YYYY. */
function cleverDob(isoDate: string): string {
  const [y, m, d] = isoDate.split("-");
  return `${Number(m)}/${Number(d)}/${y}`;
}

export function cleverDistrict(d: District): Json {
  return {
    id: d.org.id,
    name: d.org.name,
    nces_id: d.org.ncesId,
    mdr_number: null,
    sis_type: "sis-simulator",
    state: "success",
    last_sync: dayTimestamp(d.day),
    error: "",
    pause_start: null,
    pause_end: null,
    launch_date: "2026-08-01",
    portal_url: "",
    login_methods: ["Clever Badges", "Google"],
  };
}

export function cleverSchool(d: District, s: SimSchool): Json {
  return {
    id: s.id,
    district: d.org.id,
    name: s.name,
    sis_id: s.schoolNumber,
    school_number: s.schoolNumber,
    state_id: null,
    nces_id: s.ncesId,
    mdr_number: null,
    low_grade: cleverGrade(s.grades[0]),
    high_grade: cleverGrade(s.grades[s.grades.length - 1]),
    phone: s.phone,
    location: { address: `${100 + Number(s.schoolNumber)} Main St`, city: s.city, state: "CA", zip: s.zip, lat: null, lon: null },
    principal: { name: s.principalName, email: s.principalEmail },
    created: created(s.id),
    last_modified: dayTimestamp(s.modifiedDay),
    ext: {},
  };
}

export function cleverTerm(d: District, t: SimSession): Json {
  return { id: t.id, district: d.org.id, name: t.title, start_date: t.startDate, end_date: t.endDate };
}

export function cleverCourse(d: District, c: SimCourse): Json {
  return { id: c.id, district: d.org.id, name: c.title, number: c.courseCode };
}

export function cleverSection(d: District, c: SimClass): Json {
  return {
    id: c.id,
    district: d.org.id,
    school: c.schoolId,
    course: c.courseId,
    term_id: c.termId,
    name: c.title,
    section_number: c.classCode.split("-").pop(),
    period: c.period,
    grade: cleverGrade(c.grade),
    subject: c.subject,
    sis_id: c.classCode,
    teacher: c.teacherIds[0] ?? null,
    teachers: c.teacherIds,
    students: c.studentIds,
    created: created(c.id),
    last_modified: dayTimestamp(c.modifiedDay),
    ext: {},
  };
}

export function cleverUser(d: District, u: SimUser): Json {
  const username = { district_username: u.username };
  let roles: Json;
  if (u.role === "student") {
    const grade = u.grade as GradeCode;
    roles = {
      student: {
        sis_id: u.studentNumber,
        student_number: u.studentNumber,
        state_id: null,
        legacy_id: u.id,
        school: u.schoolIds[0],
        schools: u.schoolIds,
        grade: cleverGrade(grade),
        graduation_year: String(2039 - (grade === "KG" ? 0 : Number(grade))),
        dob: u.birthDate ? cleverDob(u.birthDate) : null,
        gender: "",
        enrollments: u.schoolIds.map((school) => ({ school, start_date: "2026-08-17", end_date: null })),
        credentials: username,
        ext: {},
      },
    };
  } else if (u.role === "teacher") {
    roles = {
      teacher: {
        sis_id: u.staffNumber,
        teacher_number: u.staffNumber,
        state_id: null,
        title: "Teacher",
        school: u.schoolIds[0],
        schools: u.schoolIds,
        district: d.org.id,
        legacy_id: u.id,
        credentials: username,
        ext: {},
      },
    };
  } else {
    roles = { district_admin: { legacy_id: u.id, title: "District Administrator" } };
  }
  return {
    id: u.id,
    district: d.org.id,
    email: u.email,
    name: { first: u.givenName, middle: u.middleName || null, last: u.familyName },
    roles,
    created: created(u.id),
    last_modified: dayTimestamp(u.modifiedDay),
  };
}
