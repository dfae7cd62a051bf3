import type {
  CanonicalClass,
  CanonicalEnrollment,
  CanonicalSchool,
  CanonicalUser,
  EntityKind,
  ExtractBatch,
  ExtractResult,
  SisConnector,
} from "@sis-sync/roster";
import type { District, RecordSet, SimClass, SimEnrollment, SimSchool, SimUser } from "@sis-sync/sis-simulator/src/generator";

/**
 * The simulator's district as canonical records, as a connector would map them. Raw JSON is the
 * simulator record itself. Built lazily, page by page, so the benchmark never holds an export.
 */
export function schoolRecord(s: SimSchool): CanonicalSchool {
  return { externalId: s.id, name: s.name, schoolNumber: s.schoolNumber, ncesId: s.ncesId, raw: s };
}

export function classRecord(c: SimClass, district: District): CanonicalClass {
  const termIndex = district.terms.indexOf(c.termId);
  const term = termIndex >= 0 ? district.terms.at(termIndex) : null;
  const courseIndex = district.courses.indexOf(c.courseId);
  const course = courseIndex >= 0 ? district.courses.at(courseIndex) : null;
  return {
    externalId: c.id,
    schoolExternalId: c.schoolId,
    title: c.title,
    classCode: c.classCode,
    subject: c.subject,
    period: c.period,
    termExternalId: c.termId,
    termName: term?.title ?? null,
    termStartDate: term?.startDate ?? null,
    termEndDate: term?.endDate ?? null,
    courseExternalId: c.courseId,
    courseTitle: course?.title ?? null,
    raw: c,
  };
}

export function userRecord(u: SimUser): CanonicalUser {
  return {
    externalId: u.id,
    role: u.role,
    givenName: u.givenName,
    familyName: u.familyName,
    email: u.email,
    username: u.username,
    studentNumber: u.studentNumber,
    grades: u.grade ? [u.grade] : [],
    schoolExternalIds: u.schoolIds,
    raw: u,
  };
}

export function enrollmentRecord(e: SimEnrollment): CanonicalEnrollment {
  return { externalId: e.id, classExternalId: e.classId, userExternalId: e.userId, role: e.role, primary: e.primary, beginDate: null, endDate: null, raw: e };
}

function* pagesOf<T extends { id: string }, R>(set: RecordSet<T>, map: (t: T) => R, pageSize: number): Generator<R[]> {
  let page: R[] = [];
  for (const item of set) {
    page.push(map(item));
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** Canonical pages of a district in the connector order: schools → classes → users → enrollments. */
export function* districtPages(district: District, pageSize = 1000): Generator<ExtractBatch> {
  for (const records of pagesOf(district.schools, schoolRecord, pageSize)) yield { kind: "schools", records };
  for (const records of pagesOf(district.classes, (c) => classRecord(c, district), pageSize)) yield { kind: "classes", records };
  for (const records of pagesOf(district.users, userRecord, pageSize)) yield { kind: "users", records };
  for (const records of pagesOf(district.enrollments, enrollmentRecord, pageSize)) yield { kind: "enrollments", records };
}

export interface PagesConnectorOptions {
  result?: ExtractResult;
  /** Called before each page is yielded (e.g. to cancel or fail part-way). */
  beforePage?(index: number, batch: ExtractBatch): void | Promise<void>;
}

/** A connector over any iterable of pages (canonical records built in a test). */
export function pagesConnector(pages: () => Iterable<ExtractBatch>, opts: PagesConnectorOptions = {}): SisConnector {
  return {
    async test() {
      return { success: true, message: "ok" };
    },
    async *extract() {
      let i = 0;
      for (const batch of pages()) {
        await opts.beforePage?.(i++, batch);
        yield batch;
      }
      return opts.result ?? { nextCursor: null };
    },
  };
}

export function districtConnector(district: District, opts: PagesConnectorOptions & { pageSize?: number } = {}): SisConnector {
  return pagesConnector(() => districtPages(district, opts.pageSize), opts);
}

/** Builds one page from partial records, filling the fields a test does not care about. */
export const page = {
  schools: (...records: (Partial<CanonicalSchool> & { externalId: string })[]): ExtractBatch => ({
    kind: "schools",
    records: records.map((r) => ({ name: `School ${r.externalId}`, schoolNumber: null, ncesId: null, raw: { id: r.externalId }, ...r })),
  }),
  classes: (...records: (Partial<CanonicalClass> & { externalId: string; schoolExternalId: string })[]): ExtractBatch => ({
    kind: "classes",
    records: records.map((r) => ({
      title: `Class ${r.externalId}`,
      classCode: null,
      subject: null,
      period: null,
      termExternalId: null,
      termName: null,
      termStartDate: null,
      termEndDate: null,
      courseExternalId: null,
      courseTitle: null,
      raw: { id: r.externalId },
      ...r,
    })),
  }),
  users: (...records: (Partial<CanonicalUser> & { externalId: string })[]): ExtractBatch => ({
    kind: "users",
    records: records.map((r) => ({
      role: "student",
      givenName: "Given",
      familyName: `Family ${r.externalId}`,
      email: null,
      username: null,
      studentNumber: null,
      grades: [],
      schoolExternalIds: [],
      raw: { id: r.externalId },
      ...r,
    })),
  }),
  enrollments: (...records: (Partial<CanonicalEnrollment> & { classExternalId: string; userExternalId: string })[]): ExtractBatch => ({
    kind: "enrollments",
    records: records.map((r) => ({
      externalId: `${r.classExternalId}:${r.userExternalId}`,
      role: "student",
      primary: false,
      beginDate: null,
      endDate: null,
      raw: {},
      ...r,
    })),
  }),
};

export type { EntityKind };
