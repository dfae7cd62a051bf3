import { mkdir, readdir, readFile, writeFile, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { DISTRICT_SIZES, generateDistrict, startSftpPeer, type SftpPeer } from "../../packages/sis-simulator/src";
import type { TestStack } from "../../apps/api/test/support/test-stack";
import { Evidence, apiOf, expectRosterMatches, snapshot, startEvidenceStack, expectRunsSettled } from "./support/fault-kit";

/**
 * Hostile SIS data over the real ONEROSTER_CSV path (API → worker → SFTP → CSV reader → engine):
 * each scenario loads the clean export (district v1) first, then points the provider at a broken
 * copy of the same export. A broken file ends FAILURE with a message naming the problem and the
 * roster exactly as before; a bad record is a record error and nothing else changes; in no case
 * is anything of v1 deactivated.
 */
interface ZipEntry {
  name: string;
  data: Buffer;
  /** Sizes written in the headers when they should lie. */
  declaredSize?: number;
  store?: boolean;
}

/** A zip written by hand, so entry names and declared sizes can be as hostile as needed. */
function zipOf(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const body = e.store ? e.data : deflateRawSync(e.data);
    const size = e.declaredSize ?? e.data.length;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(e.store ? 0 : 8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.store ? 0 : 8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe("fault suite: hostile SIS data (OneRoster CSV over SFTP)", () => {
  const evidence = new Evidence();
  let stack: TestStack;
  let api: ReturnType<typeof apiOf>;
  let sftp: SftpPeer;
  const v1 = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 77 });
  let clean: Record<string, Buffer>;

  beforeAll(async () => {
    stack = await startEvidenceStack(evidence, { inProcessWorker: true });
    api = apiOf(stack, await stack.token({ roles: ["PLATFORM_ADMIN"] }));
    sftp = await startSftpPeer({ district: v1 });
    evidence.secret(sftp.credentials.password, sftp.credentials.privateKey);
    const dir = join(sftp.servedRoot(), "oneroster");
    clean = {};
    for (const f of await readdir(dir)) clean[f] = await readFile(join(dir, f));
  });
  afterAll(async () => {
    await stack?.close();
    await sftp?.close();
  });

  /** Serves the clean export with some files replaced at /<name>; returns the remote path. */
  async function hostileFolder(name: string, files: Record<string, Buffer | string>): Promise<string> {
    const dir = join(sftp.servedRoot(), name);
    await mkdir(dir, { recursive: true });
    for (const f of Object.keys(clean)) if (!(f in files)) await copyFile(join(sftp.servedRoot(), "oneroster", f), join(dir, f));
    for (const [f, content] of Object.entries(files)) await writeFile(join(dir, f), content);
    return `/${name}`;
  }

  /** A provider on its own tenant loaded with the clean export, then pointed at `remotePath`. */
  async function loadedThenPointedAt(name: string, remotePath: string, auth: "password" | "privateKey" = "password") {
    const c = sftp.credentials;
    const tenant = `t-${name}`;
    const secret = auth === "password" ? { password: c.password } : { privateKey: c.privateKey };
    const id = await api.provider(tenant, "ONEROSTER_CSV", { sftp: { host: c.host, port: c.port, username: c.username, ...secret, hostKeySha256: c.hostKeySha256 }, remotePath: c.remotePath });
    const first = await api.terminal(await api.sync(id));
    expect(first).toMatchObject({ status: "SUCCESS", errorMessage: null });
    await expectRosterMatches(stack.db.pool, id, tenant, v1);
    const before = await snapshot(stack.db.pool, id, tenant);
    const patched = await stack.request("PATCH", `/api/v1/providers/${id}`, { token: await stack.token({ roles: ["PLATFORM_ADMIN"] }), body: { config: { remotePath } } });
    expect(patched.status).toBe(200);
    return { id, tenant, before };
  }

  async function expectRefused(name: string, files: Record<string, Buffer | string> | { zip: Buffer }, message: RegExp) {
    const remotePath = "zip" in files && Buffer.isBuffer(files.zip) ? await writeZip(name, files.zip as Buffer) : await hostileFolder(name, files as Record<string, Buffer | string>);
    const p = await loadedThenPointedAt(name, remotePath);
    const run = await api.terminal(await api.sync(p.id));
    expect({ status: run.status, errorMessage: run.errorMessage }).toEqual({ status: "FAILURE", errorMessage: expect.stringMatching(message) });
    expect(await snapshot(stack.db.pool, p.id, p.tenant)).toEqual(p.before);
    return run;
  }

  async function writeZip(name: string, zip: Buffer): Promise<string> {
    await writeFile(join(sftp.servedRoot(), `${name}.zip`), zip);
    return `/${name}.zip`;
  }

  const usersLines = () => clean["users.csv"].toString("utf8").trimEnd().split("\n");

  it("does not let a broken quote swallow the rows after it and deactivate them", async () => {
    const lines = usersLines();
    // Near the end, so the swallowed rows stay under the mass-deactivation guard's 20 %.
    const at = lines.length - 3;
    const broken = [...lines.slice(0, at), `bad-quote-row,,,true,"${v1.org.id},student,broken`, ...lines.slice(at)].join("\n") + "\n";
    const remotePath = await hostileFolder("quote", { "users.csv": broken });
    const p = await loadedThenPointedAt("quote", remotePath);
    const run = await api.terminal(await api.sync(p.id));
    expect(["FAILURE", "PARTIAL"]).toContain(run.status);
    if (run.status === "FAILURE") expect(run.errorMessage).toMatch(new RegExp(`^users\\.csv line ${at + 1}: `));
    // Every user of the export is still active: nothing after the broken row was lost.
    expect(await snapshot(stack.db.pool, p.id, p.tenant)).toEqual(p.before);
  });

  it("reads a broken last row as one record error", async () => {
    const broken = clean["users.csv"].toString("utf8") + `bad-quote-row,,,true,"${v1.org.id},student,broken\n`;
    const remotePath = await hostileFolder("quote-last", { "users.csv": broken });
    const p = await loadedThenPointedAt("quote-last", remotePath);
    const run = await api.terminal(await api.sync(p.id));
    expect(run.status).toBe("PARTIAL");
    expect(run.stats!.users).toMatchObject({ errors: 1, deactivated: 0, created: 0 });
    expect(await snapshot(stack.db.pool, p.id, p.tenant)).toEqual(p.before);
  });

  it("refuses a 100 MB single-line users.csv quickly, with the line named", async () => {
    const started = Date.now();
    const header = usersLines()[0];
    const run = await expectRefused("hugeline", { "users.csv": Buffer.concat([Buffer.from(`${header}\n`), Buffer.alloc(100 * 1024 * 1024, "x")]) }, /^users\.csv line 2: a record is longer than 1048576 characters/);
    expect(run.errorMessage!.length).toBeLessThan(300);
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 90_000);

  it("does not silently mangle names in a file that is not UTF-8", async () => {
    const latin1 = Buffer.from(clean["users.csv"].toString("utf8"), "latin1");
    const accented = [...v1.users].find((u) => /^[\u00c0-\u00ff]*[A-Za-z]*[\u00c0-\u00ff][A-Za-z]*$/.test(u.givenName) && /[^\x00-\x7f]/.test(u.givenName))!;
    expect(accented).toBeDefined();
    const remotePath = await hostileFolder("latin1", { "users.csv": latin1 });
    const p = await loadedThenPointedAt("latin1", remotePath);
    const run = await api.terminal(await api.sync(p.id));
    const { rows } = await stack.db.pool.query("select u.given_name from roster_users u join roster_user_sources s on s.entity_id = u.id where s.provider_id = $1 and s.external_id = $2", [p.id, accented.id]);
    if (run.status === "FAILURE") {
      expect(run.errorMessage).toMatch(/users\.csv.*(UTF-8|encoding)/i);
      expect(await snapshot(stack.db.pool, p.id, p.tenant)).toEqual(p.before);
    } else {
      // Read as some encoding: then the names come out right, not as U+FFFD.
      expect(rows.map((r: { given_name: string }) => r.given_name)).toEqual([accented.givenName]);
    }
    // Nothing lost either way.
    const active = await stack.db.pool.query("select count(*)::int as n from roster_user_sources where provider_id = $1 and status = 'active'", [p.id]);
    expect(active.rows[0].n).toBe(v1.users.count);
  });

  it("refuses a UTF-16 users.csv instead of reading garbage", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(clean["users.csv"].toString("utf8"), "utf16le")]);
    await expectRefused("utf16", { "users.csv": utf16 }, /users\.csv/);
  });

  it("survives a NUL byte in a CSV field (Postgres text cannot hold NUL)", async () => {
    const lines = usersLines();
    lines[4] = lines[4].replace(/,([^,]+),([^,]+),([A-Z]),/, ",$1\u0000,$2,$3,");
    expect(lines[4]).toContain("\u0000");
    const remotePath = await hostileFolder("nul", { "users.csv": lines.join("\n") + "\n" });
    const p = await loadedThenPointedAt("nul", remotePath);
    const run = await api.terminal(await api.sync(p.id));
    expect({ status: run.status, errorMessage: run.errorMessage }).toEqual({ status: expect.stringMatching(/^(SUCCESS|PARTIAL)$/), errorMessage: null });
    const { rows } = await stack.db.pool.query("select count(*)::int as n from roster_user_sources where provider_id = $1 and status = 'active'", [p.id]);
    expect(rows[0].n).toBe(v1.users.count);
  });

  it("reads files that start with a byte order mark", async () => {
    const bom = (b: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
    const files = Object.fromEntries(Object.entries(clean).map(([f, b]) => [f, bom(b)]));
    const remotePath = await hostileFolder("bom", files);
    const p = await loadedThenPointedAt("bom", remotePath, "privateKey");
    const run = await api.terminal(await api.sync(p.id));
    expect(run).toMatchObject({ status: "SUCCESS", errorMessage: null });
    expect(run.stats!.users).toMatchObject({ created: 0, deactivated: 0, errors: 0, unchanged: v1.users.count });
    expect(await snapshot(stack.db.pool, p.id, p.tenant)).toEqual(p.before);
  });

  it("reports duplicate ids and enrollments to unknown classes as record errors, changing nothing else", async () => {
    const lines = usersLines();
    const dupe = lines[3].replace(/,([^,]*),([^,]*),([^,]*),([^,]*@[^,]*)/, ",Impostor,$2,$3,$4");
    const users = [...lines, dupe].join("\n") + "\n";
    const enr = clean["enrollments.csv"].toString("utf8").trimEnd().split("\n");
    const u = v1.users.at(0).id;
    const orphan = `orphan-enrollment-1,,,no-such-class,${v1.schools.at(0).id},${u},student,false,,\norphan-enrollment-2,,,${v1.classes.at(0).id},${v1.schools.at(0).id},no-such-user,student,false,,`;
    const remotePath = await hostileFolder("dupes", { "users.csv": users, "enrollments.csv": [...enr, orphan].join("\n") + "\n" });
    const p = await loadedThenPointedAt("dupes", remotePath);
    const run = await api.terminal(await api.sync(p.id));
    expect(run.status).toBe("PARTIAL");
    expect(run.stats!.users.errors).toBeGreaterThanOrEqual(1);
    expect(run.stats!.enrollments.errors).toBe(2);
    const errors = await stack.request("GET", `/api/v1/runs/${run.id}/errors?limit=200`, { token: await stack.token({ roles: ["PLATFORM_ADMIN"] }) });
    const messages = errors.body.data.map((e: { externalId: string; message: string }) => `${e.externalId}: ${e.message}`).join("\n");
    expect(messages).toMatch(/orphan-enrollment-1: .*class/i);
    expect(messages).toMatch(/orphan-enrollment-2: .*user/i);
    expect(messages).toMatch(/[Dd]uplicate/);
    await expectRosterMatches(stack.db.pool, p.id, p.tenant, v1);
    const { rows } = await stack.db.pool.query("select count(*)::int as n from roster_users where tenant_id = $1 and given_name = 'Impostor'", [p.tenant]);
    expect(rows[0].n).toBe(0);
  });

  it("refuses zip bombs, from declared sizes and from lying headers", async () => {
    const files = (users: ZipEntry) => [...Object.entries(clean).filter(([f]) => f !== "users.csv").map(([name, data]) => ({ name, data })), users];
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    await expectRefused("bomb", { zip: zipOf(files({ name: "users.csv", data: zeros })) }, /zip bomb/);
    await expectRefused("liar", { zip: zipOf(files({ name: "users.csv", data: zeros, declaredSize: 4096 })) }, /zip|users\.csv/i);
  }, 60_000);

  it("refuses zip entries whose names climb out of the export folder", async () => {
    const entries = Object.entries(clean).map(([name, data]) => ({ name, data }));
    for (const [i, evil] of ["../../../../tmp/users.csv", "/etc/users.csv", "..\\..\\users.csv"].entries()) {
      const zip = zipOf([...entries.filter((e) => e.name !== "users.csv"), { name: evil, data: clean["users.csv"] }]);
      await expectRefused(`traversal-${i}`, { zip }, /outside the export folder|not allowed|invalid|refusing/i);
    }
  }, 60_000);

  it("refuses a zip export cut off halfway", async () => {
    const cut = await startSftpPeer({ district: v1, faults: { truncateZip: true } });
    try {
      const c = cut.credentials;
      const id = await api.provider("t-cutzip", "ONEROSTER_CSV", { sftp: { host: c.host, port: c.port, username: c.username, password: c.password, hostKeySha256: c.hostKeySha256 }, remotePath: c.remotePath });
      expect(await api.terminal(await api.sync(id))).toMatchObject({ status: "SUCCESS", errorMessage: null });
      const before = await snapshot(stack.db.pool, id, "t-cutzip");
      const token = await stack.token({ roles: ["PLATFORM_ADMIN"] });
      expect((await stack.request("PATCH", `/api/v1/providers/${id}`, { token, body: { config: { remotePath: c.zipPath } } })).status).toBe(200);
      const run = await api.terminal(await api.sync(id));
      expect({ status: run.status, errorMessage: run.errorMessage }).toEqual({ status: "FAILURE", errorMessage: expect.stringMatching(/oneroster\.zip/) });
      expect(await snapshot(stack.db.pool, id, "t-cutzip")).toEqual(before);
    } finally {
      await cut.close();
    }
  });

  it("leaves every run terminal with a reason, and leaks no credential into logs, responses or run records", async () => {
    await expectRunsSettled(stack.db.pool);
    await evidence.addRunRecords(stack.db.pool);
    expect(evidence.size).toBeGreaterThan(10_000);
    expect(evidence.leaks()).toEqual([]);
  });
});
