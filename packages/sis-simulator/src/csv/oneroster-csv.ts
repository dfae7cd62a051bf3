/**
 * OneRoster 1.1 CSV exports (bulk or delta), written streaming: rows are produced one at a
 * time from the district's record sets and flushed in chunks with back-pressure, so a
 * 5 M-enrollment export never holds more than one chunk and one class roster in memory.
 */
import { createWriteStream } from "node:fs";
import { appendFile, mkdir, stat, truncate, writeFile as writeText } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { join } from "node:path";
import { ZipFile } from "yazl";
import { dayTimestamp, type District, type SimClass, type SimCourse, type SimEnrollment, type SimSession, type SimUser } from "../generator";
import type { SftpFaults } from "../faults";

/** Exact 1.1 headers (columns after sourcedId,status,dateLastModified), research doc §4.3. */
export const ONEROSTER_CSV_HEADERS = {
  orgs: ["name", "type", "identifier", "parentSourcedId"],
  academicSessions: ["title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
  courses: ["schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"],
  classes: ["title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"],
  users: ["enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"],
  enrollments: ["classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
} as const;
export type CsvFileName = keyof typeof ONEROSTER_CSV_HEADERS;
const FILE_NAMES = Object.keys(ONEROSTER_CSV_HEADERS) as CsvFileName[];
/** Every file.* row the 1.1 manifest has; the ones this simulator does not produce are `absent`. */
const MANIFEST_FILES = ["academicSessions", "categories", "classes", "classResources", "courses", "courseResources", "demographics", "enrollments", "lineItems", "orgs", "resources", "results", "users"];

export interface WriteOneRosterCsvOptions {
  /** Also write `<dir>.zip` (files at the archive root). */
  zip?: boolean;
  /** Write only what changed since `previous` (status/dateLastModified populated, deletions as tobedeleted). */
  delta?: { previous: District };
  faults?: SftpFaults;
}

export interface CsvExport {
  dir: string;
  zipPath: string | null;
  /** Data rows per file (header excluded). */
  rows: Record<CsvFileName, number>;
}

/** One CSV row of data: the sourcedId, the modification day and the columns after dateLastModified. */
interface Row {
  id: string;
  modifiedDay: number;
  cells: string[];
}

const CHUNK = 64 * 1024;

function quote(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function line(cells: readonly string[]): string {
  return `${cells.map(quote).join(",")}\n`;
}

function orgRows(d: District): Row[] {
  return [
    { id: d.org.id, modifiedDay: 0, cells: [d.org.name, "district", d.org.identifier, ""] },
    ...[...d.schools].map((s) => ({ id: s.id, modifiedDay: s.modifiedDay, cells: [s.name, "school", s.schoolNumber, d.org.id] })),
  ];
}

const sessionRow = (s: SimSession): Row => ({ id: s.id, modifiedDay: s.modifiedDay, cells: [s.title, s.type, s.startDate, s.endDate, s.parentId ?? "", s.schoolYear] });
const courseRow =
  (d: District) =>
  (c: SimCourse): Row => ({ id: c.id, modifiedDay: c.modifiedDay, cells: [d.sessions.at(0).id, c.title, c.courseCode, c.grade, d.org.id, c.subject, ""] });
const classRow = (c: SimClass): Row => ({
  id: c.id,
  modifiedDay: c.modifiedDay,
  cells: [c.title, c.grade, c.courseId, c.classCode, "scheduled", `Room ${100 + Number(c.period)}`, c.schoolId, c.termId, c.subject, "", c.period],
});
const userRow =
  (d: District) =>
  (u: SimUser): Row => {
    const identifier = u.studentNumber ?? u.staffNumber ?? "";
    return {
      id: u.id,
      modifiedDay: u.modifiedDay,
      cells: [
        "true",
        (u.schoolIds.length ? u.schoolIds : [d.org.id]).join(","),
        u.role,
        u.username,
        `{${u.role === "student" ? "studentNumber" : "staffNumber"}:${identifier}}`,
        u.givenName,
        u.familyName,
        u.middleName,
        identifier,
        u.email ?? "",
        "",
        "",
        "",
        u.grade ?? "",
        "",
      ],
    };
  };
const enrollmentRow = (e: SimEnrollment): Row => ({
  id: e.id,
  modifiedDay: e.modifiedDay,
  cells: [e.classId, e.schoolId, e.userId, e.role, String(e.primary), "", ""],
});

function* mapRows<T extends { id: string }>(set: Iterable<T>, toRow: (r: T) => Row): Generator<Row> {
  for (const r of set) yield toRow(r);
}

/** Rows of a day's file, in id order (enrollments: grouped by class, classes in id order). */
function rowsOf(d: District, file: CsvFileName): Iterable<Row> {
  switch (file) {
    case "orgs":
      return orgRows(d);
    case "academicSessions":
      return mapRows(d.sessions, sessionRow);
    case "courses":
      return mapRows(d.courses, courseRow(d));
    case "classes":
      return mapRows(d.classes, classRow);
    case "users":
      return mapRows(d.users, userRow(d));
    case "enrollments":
      return mapRows(d.enrollments, enrollmentRow);
  }
}

type DeltaRow = Row & { status: "active" | "tobedeleted" };

function sameCells(a: Row, b: Row): boolean {
  return a.cells.length === b.cells.length && a.cells.every((cell, i) => cell === b.cells[i]);
}

/** Merge-diff of two id-ordered row streams: changed and new rows active, missing rows tobedeleted. */
function* diffSorted(previous: Iterable<Row>, next: Iterable<Row>, day: number): Generator<DeltaRow> {
  const a = previous[Symbol.iterator]();
  const b = next[Symbol.iterator]();
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.id < y.value.id)) {
      yield { ...(x.value as Row), status: "tobedeleted", modifiedDay: day };
      x = a.next();
    } else if (x.done || y.value.id < x.value.id) {
      yield { ...y.value, status: "active" };
      y = b.next();
    } else {
      if (!sameCells(x.value, y.value)) yield { ...y.value, status: "active" };
      x = a.next();
      y = b.next();
    }
  }
}

/** Enrollments diff class by class (rosters are small; the class streams are id-ordered). */
function* diffEnrollments(previous: District, next: District): Generator<DeltaRow> {
  const rosters = (d: District): Iterable<{ id: string; rows: Row[] }> => ({
    *[Symbol.iterator]() {
      for (let i = 0; i < d.classes.count; i++) yield { id: d.classes.at(i).id, rows: d.enrollments.rosterAt(i).map(enrollmentRow) };
    },
  });
  const a = rosters(previous)[Symbol.iterator]();
  const b = rosters(next)[Symbol.iterator]();
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    const takeX = !x.done && (y.done || x.value.id <= y.value.id);
    const takeY = !y.done && (x.done || y.value.id <= x.value.id);
    const old = new Map((takeX && !x.done ? x.value.rows : []).map((r) => [r.id, r]));
    for (const r of takeY && !y.done ? y.value.rows : []) {
      const prev = old.get(r.id);
      if (!prev || !sameCells(prev, r)) yield { ...r, status: "active" };
      old.delete(r.id);
    }
    for (const r of old.values()) yield { ...r, status: "tobedeleted", modifiedDay: next.day };
    if (takeX) x = a.next();
    if (takeY) y = b.next();
  }
}

async function writeFile(path: string, header: readonly string[], rows: Iterable<Row | DeltaRow>, delta: boolean): Promise<number> {
  const out = createWriteStream(path);
  let buffer = line(["sourcedId", "status", "dateLastModified", ...header]);
  let count = 0;
  for (const row of rows) {
    const status = delta ? (row as DeltaRow).status : "";
    const modified = delta ? dayTimestamp(row.modifiedDay) : "";
    buffer += line([row.id, status, modified, ...row.cells]);
    count++;
    if (buffer.length >= CHUNK) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await finished(out);
  return count;
}

async function zipDirectory(dir: string, names: string[], zipPath: string): Promise<void> {
  const zip = new ZipFile();
  for (const name of names) zip.addFile(join(dir, name), name);
  zip.end();
  const out = createWriteStream(zipPath);
  zip.outputStream.pipe(out);
  await finished(out);
}

export async function writeOneRosterCsv(district: District, dir: string, options: WriteOneRosterCsvOptions = {}): Promise<CsvExport> {
  await mkdir(dir, { recursive: true });
  const previous = options.delta?.previous;
  const rows = {} as Record<CsvFileName, number>;
  for (const file of FILE_NAMES) {
    const source: Iterable<Row | DeltaRow> = !previous
      ? rowsOf(district, file)
      : file === "enrollments"
        ? diffEnrollments(previous, district)
        : diffSorted(rowsOf(previous, file), rowsOf(district, file), district.day);
    rows[file] = await writeFile(join(dir, `${file}.csv`), ONEROSTER_CSV_HEADERS[file], source, previous !== undefined);
  }
  if (options.faults?.malformedRowInUsers) {
    // An unterminated quote and too few columns: the row a strict parser must reject.
    await appendFile(join(dir, "users.csv"), `sim-malformed-row,,,true,"${district.org.id},student,broken\n`);
  }
  const mode = previous ? "delta" : "bulk";
  const manifest = [
    ["propertyName", "value"],
    ["manifest.version", "1.0"],
    ["oneroster.version", "1.1"],
    ...MANIFEST_FILES.map((f) => [`file.${f}`, (FILE_NAMES as string[]).includes(f) ? mode : "absent"]),
    ["source.systemName", "sis-simulator"],
    ["source.systemCode", "sis-sim"],
  ];
  await writeText(join(dir, "manifest.csv"), manifest.map(line).join(""));
  let zipPath: string | null = null;
  if (options.zip) {
    zipPath = `${dir.replace(/\/+$/, "")}.zip`;
    await zipDirectory(dir, ["manifest.csv", ...FILE_NAMES.map((f) => `${f}.csv`)], zipPath);
    if (options.faults?.truncateZip) await truncate(zipPath, Math.floor((await stat(zipPath)).size / 2));
  }
  return { dir, zipPath, rows };
}
