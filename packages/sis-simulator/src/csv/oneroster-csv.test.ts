import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Papa from "papaparse";
import yauzl from "yauzl";
import { DISTRICT_SIZES, generateDistrict, mutate } from "../generator";
import { ONEROSTER_CSV_HEADERS, writeOneRosterCsv } from "./oneroster-csv";

async function parse(path: string) {
  const text = await readFile(path, "utf8");
  return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
}

function zipEntries(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names: string[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

describe("writeOneRosterCsv", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sis-sim-csv-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("writes a bulk export with the exact 1.1 headers, blank status and every record", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 1 });
    const out = await writeOneRosterCsv(d, join(dir, "bulk"));
    expect(out.rows).toEqual({ orgs: 3, academicSessions: 3, courses: d.courses.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });
    for (const [file, columns] of Object.entries(ONEROSTER_CSV_HEADERS)) {
      const text = await readFile(join(dir, "bulk", `${file}.csv`), "utf8");
      expect(text.split("\n")[0]).toBe(["sourcedId", "status", "dateLastModified", ...columns].join(","));
    }
    const users = await parse(join(dir, "bulk", "users.csv"));
    expect(users.errors).toEqual([]);
    expect(users.data.map((u) => u.sourcedId)).toEqual([...d.users].map((u) => u.id));
    expect(users.data.every((u) => u.status === "" && u.dateLastModified === "")).toBe(true);
    const sample = d.users.at(d.users.count - 1);
    expect(users.data[users.data.length - 1]).toMatchObject({ givenName: sample.givenName, familyName: sample.familyName, identifier: sample.studentNumber, email: sample.email ?? "" });
    const manifest = await parse(join(dir, "bulk", "manifest.csv"));
    const props = Object.fromEntries(manifest.data.map((r) => [r.propertyName, r.value]));
    expect(props).toMatchObject({ "manifest.version": "1.0", "oneroster.version": "1.1", "file.users": "bulk", "file.enrollments": "bulk", "file.demographics": "absent" });
  });

  it("quotes list fields (a teacher in several schools) so they parse back whole", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.small, seed: 1 });
    await writeOneRosterCsv(d, join(dir, "bulk"));
    const text = await readFile(join(dir, "bulk", "users.csv"), "utf8");
    const shared = [...d.teachers].find((t) => t.schoolIds.length > 1);
    expect(shared).toBeDefined();
    expect(text).toContain(`,"${shared?.schoolIds.join(",")}",teacher,`);
    const users = await parse(join(dir, "bulk", "users.csv"));
    expect(users.data.find((u) => u.sourcedId === shared?.id)?.orgSourcedIds).toBe(shared?.schoolIds.join(","));
  });

  it("writes a delta with exactly the rows mutate changed", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 2 });
    const { district, expected, changes } = mutate(d, { seed: 1 });
    const out = await writeOneRosterCsv(district, join(dir, "delta"), { delta: { previous: d } });
    const changed = (k: "classes" | "users" | "enrollments") => expected[k].created + expected[k].updated + expected[k].deactivated;
    expect(out.rows).toMatchObject({ orgs: 0, academicSessions: 0, courses: 0, classes: changed("classes"), users: changed("users"), enrollments: changed("enrollments") });
    const users = await parse(join(dir, "delta", "users.csv"));
    const deleted = users.data.filter((u) => u.status === "tobedeleted").map((u) => u.sourcedId);
    expect(deleted.sort()).toEqual([...changes.withdrawnStudentIds].sort());
    expect(users.data.every((u) => u.dateLastModified === "2026-08-02T06:00:00.000Z")).toBe(true);
    const manifest = await readFile(join(dir, "delta", "manifest.csv"), "utf8");
    expect(manifest).toContain("file.users,delta");
  });

  it("zips the files at the archive root", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 1 });
    const out = await writeOneRosterCsv(d, join(dir, "export"), { zip: true });
    expect(out.zipPath).toBe(join(dir, "export.zip"));
    expect((await zipEntries(join(dir, "export.zip"))).sort()).toEqual(
      ["academicSessions.csv", "classes.csv", "courses.csv", "enrollments.csv", "manifest.csv", "orgs.csv", "users.csv"],
    );
  });

  it("applies the malformed-row and truncated-zip faults", async () => {
    const d = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 1 });
    await writeOneRosterCsv(d, join(dir, "bad"), { zip: true, faults: { malformedRowInUsers: true, truncateZip: true } });
    const users = await parse(join(dir, "bad", "users.csv"));
    expect(users.errors.length).toBeGreaterThan(0);
    await expect(zipEntries(join(dir, "bad.zip"))).rejects.toThrow();
  });
});
