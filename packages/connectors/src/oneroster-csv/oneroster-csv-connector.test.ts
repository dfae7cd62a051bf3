import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectorError, type ConnectorLogger, type ExtractBatch, type ExtractContext, type ExtractResult } from "@sis-sync/roster";
import { openLocalFolderSource } from "./local-folder-source";
import { OneRosterCsvConnector } from "./oneroster-csv-connector";

const HEADERS = {
  orgs: "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
  academicSessions: "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
  courses: "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes",
  classes: "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
  users:
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
  enrollments: "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate",
};

const BULK_FILES: Record<string, string> = {
  "orgs.csv": [HEADERS.orgs, "d1,,,Springfield District,district,D-1,", "s1,,,Lincoln Elementary,school,0101,d1", 's2,,,"Roosevelt High, East",school,0202,d1'].join("\r\n") + "\r\n",
  "academicSessions.csv": [HEADERS.academicSessions, "y26,,,2025-2026,schoolYear,2025-08-15,2026-06-10,,2026", "t1,,,Fall 2025,semester,2025-08-15,2025-12-19,y26,2026"].join("\n") + "\n",
  "courses.csv": [HEADERS.courses, "c-math,,,y26,Math 5,M5,05,s1,math,"].join("\n") + "\n",
  "classes.csv":
    [HEADERS.classes, 'k1,,,Math 5 - Period 1,05,c-math,M5-1,scheduled,Room 4,s1,"t1,y26",math,,1', "k2,,,Homeroom,KG,c-none,HR,homeroom,,s2,,,,"].join("\n") + "\n",
  "users.csv":
    [
      HEADERS.users,
      'u1,,,true,"s1,d1",student,ann.lee,"{Fed:1}",Ann,Lee,,S-1001,Ann.Lee@Example.org,,,,"K,5",secret1',
      "u2,,,true,s2,teacher,bo.ng,,Bo,Ng,,T-77,bo@example.org,,,,,",
      "u3,,,true,s1,wizard,cy,,Cy,Oh,,,,,,,,",
      "u4,,,true,s1,student,di",
      "u5,,,true,s1,proctor,ed,,Ed,Fox,,,,,,,,",
    ].join("\n") + "\n",
  "enrollments.csv":
    [
      HEADERS.enrollments,
      "e1,,,k1,s1,u1,student,false,2025-08-15,",
      "e2,,,k1,s1,u2,teacher,true,,",
      "e3,,,k1,s1,u5,proctor,,,",
      "e4,,,k2,s2,u1,student,maybe,,",
      "e5,,,k2,s2,u1,student,false,15/08/2025,",
    ].join("\n") + "\n",
};

function manifest(modes: Partial<Record<string, string>>): string {
  const rows = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.1"];
  for (const [k, v] of Object.entries(modes)) rows.push(`file.${k},${v}`);
  return rows.join("\n") + "\n";
}

const ALL_BULK = { academicSessions: "bulk", courses: "bulk", orgs: "bulk", classes: "bulk", users: "bulk", enrollments: "bulk", demographics: "absent" };

const logger: ConnectorLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe("OneRosterCsvConnector.extract", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "oneroster-csv-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeExport(files: Record<string, string>): Promise<void> {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  }

  function connector(pageSize?: number): OneRosterCsvConnector {
    return new OneRosterCsvConnector({
      config: { sftp: { host: "127.0.0.1", username: "u", password: "p" }, remotePath: "/x" },
      logger,
      allowPrivateHosts: true,
      pageSize,
      openSource: () => openLocalFolderSource(dir),
    });
  }

  async function run(c: OneRosterCsvConnector, signal = new AbortController().signal): Promise<{ batches: ExtractBatch[]; result: ExtractResult }> {
    const ctx: ExtractContext = { signal, logger, mode: "full", cursor: null };
    const gen = c.extract(ctx);
    const batches: ExtractBatch[] = [];
    for (;;) {
      const next = await gen.next();
      if (next.done) return { batches, result: next.value };
      batches.push(next.value);
    }
  }

  it("maps a bulk export to canonical schools, classes, users and enrollments in that order", async () => {
    await writeExport({ ...BULK_FILES, "manifest.csv": manifest(ALL_BULK) });
    const { batches, result } = await run(connector());
    expect(result).toEqual({ nextCursor: null, isDelta: false });
    expect(batches.map((b) => b.kind)).toEqual(["schools", "classes", "users", "enrollments"]);
    const [schools, classes, users, enrollments] = batches;

    expect(schools.records).toEqual([
      { externalId: "s1", raw: expect.objectContaining({ sourcedId: "s1" }), name: "Lincoln Elementary", schoolNumber: "0101", ncesId: null },
      { externalId: "s2", raw: expect.objectContaining({ name: "Roosevelt High, East" }), name: "Roosevelt High, East", schoolNumber: "0202", ncesId: null },
    ]);
    expect(schools.rejected).toBeUndefined();

    expect(classes.records).toEqual([
      {
        externalId: "k1",
        raw: expect.objectContaining({ sourcedId: "k1", termSourcedIds: "t1,y26" }),
        schoolExternalId: "s1",
        title: "Math 5 - Period 1",
        classCode: "M5-1",
        subject: "math",
        period: "1",
        termExternalId: "t1",
        termName: "Fall 2025",
        termStartDate: "2025-08-15",
        termEndDate: "2025-12-19",
        courseExternalId: "c-math",
        courseTitle: "Math 5",
      },
      {
        externalId: "k2",
        raw: expect.any(Object),
        schoolExternalId: "s2",
        title: "Homeroom",
        classCode: "HR",
        subject: null,
        period: null,
        termExternalId: null,
        termName: null,
        termStartDate: null,
        termEndDate: null,
        courseExternalId: "c-none",
        courseTitle: null,
      },
    ]);

    expect(users.records).toEqual([
      {
        externalId: "u1",
        raw: expect.not.objectContaining({ password: expect.anything() }),
        role: "student",
        givenName: "Ann",
        familyName: "Lee",
        email: "Ann.Lee@Example.org",
        username: "ann.lee",
        studentNumber: "S-1001",
        grades: ["KG", "05"],
        schoolExternalIds: ["s1"],
      },
      {
        externalId: "u2",
        raw: expect.objectContaining({ identifier: "T-77" }),
        role: "teacher",
        givenName: "Bo",
        familyName: "Ng",
        email: "bo@example.org",
        username: "bo.ng",
        studentNumber: null,
        grades: [],
        schoolExternalIds: ["s2"],
      },
      expect.objectContaining({ externalId: "u5", role: "proctor", givenName: "Ed" }),
    ]);
    expect(JSON.stringify(users)).not.toContain("secret1");
    expect(users.rejected).toEqual([
      { externalId: "u3", message: "users.csv line 4: role 'wizard' is not a OneRoster 1.1 role", raw: expect.objectContaining({ sourcedId: "u3" }) },
      { externalId: "u4", message: "users.csv line 5: the row has 7 fields but the header has 18", raw: { line: "u4,,,true,s1,student,di" } },
    ]);

    expect(enrollments.records).toEqual([
      { externalId: "e1", raw: expect.any(Object), classExternalId: "k1", userExternalId: "u1", role: "student", primary: false, beginDate: "2025-08-15", endDate: null },
      { externalId: "e2", raw: expect.any(Object), classExternalId: "k1", userExternalId: "u2", role: "teacher", primary: true, beginDate: null, endDate: null },
      { externalId: "e3", raw: expect.any(Object), classExternalId: "k1", userExternalId: "u5", role: "aide", primary: false, beginDate: null, endDate: null },
    ]);
    expect(enrollments.rejected).toEqual([
      { externalId: "e4", message: "enrollments.csv line 5: primary 'maybe' is not true or false", raw: expect.objectContaining({ sourcedId: "e4" }) },
      { externalId: "e5", message: "enrollments.csv line 6: beginDate '15/08/2025' is not a YYYY-MM-DD date", raw: expect.objectContaining({ sourcedId: "e5" }) },
    ]);
  });

  it("pages records and rejections together, never more than the page size, in file order", async () => {
    await writeExport({ ...BULK_FILES, "manifest.csv": manifest(ALL_BULK) });
    const { batches } = await run(connector(2));
    expect(batches.map((b) => [b.kind, b.records.map((r) => r.externalId), (b.rejected ?? []).map((r) => r.externalId)])).toEqual([
      ["schools", ["s1", "s2"], []],
      ["classes", ["k1", "k2"], []],
      ["users", ["u1", "u2"], []],
      ["users", [], ["u3", "u4"]],
      ["users", ["u5"], []],
      ["enrollments", ["e1", "e2"], []],
      ["enrollments", ["e3"], ["e4"]],
      ["enrollments", [], ["e5"]],
    ]);
  });

  it("applies a delta manifest: tobedeleted rows are deletions, absent files are not read, and the run is a delta", async () => {
    await writeExport({
      "manifest.csv": manifest({ orgs: "absent", users: "delta", enrollments: "delta" }),
      "users.csv": [HEADERS.users, "u1,tobedeleted,2026-01-05T10:00:00.000Z,,,student,,,,,,,,,,,,", "u9,active,2026-01-05T10:00:00.000Z,true,s1,teacher,new.t,,New,Teacher,,,,,,,,"].join("\n") + "\n",
      "enrollments.csv": [HEADERS.enrollments, "e1,tobedeleted,2026-01-05T10:00:00.000Z,k1,s1,u1,student,,,"].join("\n") + "\n",
      // Present but absent in the manifest: must not be read.
      "orgs.csv": "garbage without the right header\n",
    });
    const { batches, result } = await run(connector());
    expect(result).toEqual({ nextCursor: null, isDelta: true });
    expect(batches.map((b) => b.kind)).toEqual(["users", "enrollments"]);
    expect(batches[0].records).toEqual([
      expect.objectContaining({ externalId: "u1", deleted: true, role: "student", givenName: "", familyName: "" }),
      expect.objectContaining({ externalId: "u9", role: "teacher", givenName: "New", schoolExternalIds: ["s1"] }),
    ]);
    expect(batches[0].records[1]).not.toHaveProperty("deleted");
    expect(batches[1].records).toEqual([expect.objectContaining({ externalId: "e1", deleted: true })]);
  });

  it("treats an export that is bulk for some kinds and absent for others as a delta (nothing deactivated by absence)", async () => {
    await writeExport({ "manifest.csv": manifest({ orgs: "bulk", users: "bulk" }), "orgs.csv": BULK_FILES["orgs.csv"], "users.csv": BULK_FILES["users.csv"] });
    const { result } = await run(connector());
    expect(result.isDelta).toBe(true);
  });

  it("fails the run naming the file and column when a required column is missing", async () => {
    await writeExport({ ...BULK_FILES, "manifest.csv": manifest(ALL_BULK), "users.csv": HEADERS.users.replace(",role,", ",") + "\n" });
    const c = connector();
    const gen = c.extract({ signal: new AbortController().signal, logger, mode: "full", cursor: null });
    expect((await gen.next()).value).toMatchObject({ kind: "schools" });
    expect((await gen.next()).value).toMatchObject({ kind: "classes" });
    await expect(gen.next()).rejects.toThrow(new ConnectorError("BAD_FILE", "users.csv is missing required column 'role'"));
  });

  it("requires a status column in delta files, where deletions live", async () => {
    await writeExport({ "manifest.csv": manifest({ users: "delta" }), "users.csv": HEADERS.users.replace("sourcedId,status,", "sourcedId,") + "\n" });
    await expect(run(connector())).rejects.toThrow("users.csv is missing required column 'status'");
  });

  it("fails without a manifest, since bulk and delta cannot be told apart", async () => {
    await writeExport({ ...BULK_FILES });
    await expect(run(connector())).rejects.toThrow(`${dir} has no manifest.csv: without it bulk and delta files cannot be told apart`);
  });

  it("fails when the manifest lists a file the export does not have", async () => {
    await writeExport({ "manifest.csv": manifest({ users: "bulk", enrollments: "bulk" }), "users.csv": BULK_FILES["users.csv"] });
    await expect(run(connector())).rejects.toThrow("manifest.csv lists enrollments.csv as bulk but the export has no such file");
  });

  it("refuses an export that is not OneRoster 1.1 and an unknown file mode", async () => {
    await writeExport({ "manifest.csv": "propertyName,value\noneroster.version,1.2\n" });
    await expect(run(connector())).rejects.toThrow("manifest.csv says oneroster.version 1.2; this connector reads OneRoster 1.1 CSV");
    await writeExport({ "manifest.csv": "propertyName,value\nfile.users,full\n" });
    await expect(run(connector())).rejects.toThrow("manifest.csv: file.users is 'full'; expected absent, bulk or delta");
  });

  it("stops between pages when the run is cancelled", async () => {
    await writeExport({ ...BULK_FILES, "manifest.csv": manifest(ALL_BULK) });
    const abort = new AbortController();
    const gen = connector(1).extract({ signal: abort.signal, logger, mode: "full", cursor: null });
    expect((await gen.next()).value).toMatchObject({ kind: "schools", records: [expect.objectContaining({ externalId: "s1" })] });
    abort.abort();
    const err = await gen.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe("CANCELLED");
  });
});
