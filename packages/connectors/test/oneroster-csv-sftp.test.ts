import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import yazl from "yazl";
import { ConnectorError, type ConnectorLogger, type ExtractBatch, type ExtractResult, type RejectedRecord } from "@sis-sync/roster";
import { DISTRICT_SIZES, generateDistrict, startSftpPeer, type District, type SftpPeer } from "@sis-sync/sis-simulator";
import { createConnector, type OneRosterCsvConfig } from "../src";
import { OneRosterCsvConnector } from "../src/oneroster-csv";

const counts = (d: District) => ({ schools: d.schools.count, classes: d.classes.count, users: d.users.count, enrollments: d.enrollments.count });

interface LogLine {
  level: string;
  message: string;
  meta?: Record<string, unknown>;
}
function memoryLogger(): ConnectorLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

let peer: SftpPeer;
let district: District;
let scratch: string;
/** This file's own temp folder for zip downloads, so parallel test files cannot disturb the leftovers check. */
let downloads: string;

beforeAll(async () => {
  district = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 71 });
  peer = await startSftpPeer({ district });
  scratch = await mkdtemp(join(tmpdir(), "oneroster-sftp-test-"));
  downloads = await mkdtemp(join(tmpdir(), "oneroster-sftp-downloads-"));
});
afterAll(async () => {
  await peer.close();
  await rm(scratch, { recursive: true, force: true });
  await rm(downloads, { recursive: true, force: true });
});

type Sftp = OneRosterCsvConfig["sftp"];
function keyConfig(over: Partial<Sftp> = {}, remotePath = peer.credentials.remotePath): OneRosterCsvConfig {
  const c = peer.credentials;
  return { sftp: { host: c.host, port: c.port, username: c.username, privateKey: c.privateKey, hostKeySha256: c.hostKeySha256, ...over }, remotePath };
}
function passwordConfig(remotePath: string): OneRosterCsvConfig {
  const c = peer.credentials;
  return { sftp: { host: c.host, port: c.port, username: c.username, password: c.password, hostKeySha256: c.hostKeySha256 }, remotePath };
}

function connector(config: OneRosterCsvConfig, logger: ConnectorLogger = memoryLogger(), allowPrivateHosts = true): OneRosterCsvConnector {
  return new OneRosterCsvConnector({ config, logger, allowPrivateHosts, pageSize: 10, tempDir: downloads });
}

async function extractAll(c: OneRosterCsvConnector, signal = new AbortController().signal) {
  const gen = c.extract({ signal, logger: memoryLogger(), mode: "full", cursor: null });
  const batches: ExtractBatch[] = [];
  let result: ExtractResult;
  for (;;) {
    const next = await gen.next();
    if (next.done) {
      result = next.value;
      break;
    }
    batches.push(next.value);
  }
  const total = { schools: 0, classes: 0, users: 0, enrollments: 0 };
  const rejected: RejectedRecord[] = [];
  for (const b of batches) {
    total[b.kind] += b.records.length;
    rejected.push(...(b.rejected ?? []));
  }
  return { batches, result, total, rejected };
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

async function zipBuffer(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The served bulk export's files, to build hostile variants of it. */
async function exportFiles(): Promise<Record<string, Buffer>> {
  const folder = join(peer.servedRoot(), peer.credentials.remotePath);
  const out: Record<string, Buffer> = {};
  for (const name of await readdir(folder)) out[name] = await readFile(join(folder, name));
  return out;
}

/** Temp folders the connectors of this file left behind (zip downloads). */
async function leftoverDownloads(): Promise<string[]> {
  return readdir(downloads);
}

describe("ONEROSTER_CSV against the simulator's SFTP peer", () => {
  it("tests the connection and names what it found", async () => {
    const res = await connector(keyConfig()).test();
    expect(res).toEqual({ success: true, message: `Connected to sftp://127.0.0.1:${peer.port}; found manifest.csv (bulk) in /oneroster` });
    const zip = await connector(passwordConfig("/oneroster.zip")).test();
    expect(zip).toEqual({ success: true, message: `Connected to sftp://127.0.0.1:${peer.port}; found oneroster.zip in /` });
    const missing = await connector(keyConfig({}, "/nowhere")).test();
    expect(missing.success).toBe(false);
    expect(missing.message).toMatch(new RegExp(`^sftp://127\\.0\\.0\\.1:${peer.port}/nowhere does not exist or cannot be read`));
  });

  it("extracts the generator's exact counts from the CSV folder with an inline key", async () => {
    const { total, rejected, result, batches } = await extractAll(connector(keyConfig()));
    expect(total).toEqual(counts(district));
    expect(rejected).toEqual([]);
    expect(result).toEqual({ nextCursor: null, isDelta: false });
    // One user in full, as the SIS wrote it.
    const student = [...district.students].find((u) => u.email !== null)!;
    const users = batches.flatMap((b) => (b.kind === "users" ? b.records : []));
    expect(users.find((u) => u.externalId === student.id)).toEqual({
      externalId: student.id,
      raw: expect.objectContaining({ sourcedId: student.id }),
      role: "student",
      givenName: student.givenName,
      familyName: student.familyName,
      email: student.email,
      username: student.username,
      studentNumber: student.studentNumber,
      grades: [student.grade],
      schoolExternalIds: student.schoolIds,
    });
  });

  it("extracts the same counts from a zip with a password, and from a key file given the root folder holding the zip", async () => {
    // While a zip is read it sits in a temp folder of its own; afterwards nothing is left.
    const reading = connector(passwordConfig(peer.credentials.zipPath)).extract({ signal: new AbortController().signal, logger: memoryLogger(), mode: "full", cursor: null });
    expect((await reading.next()).value).toMatchObject({ kind: "schools" });
    expect(await leftoverDownloads()).toEqual([expect.stringMatching(/^sis-sync-oneroster-/)]);
    await reading.return({ nextCursor: null });
    expect(await leftoverDownloads()).toEqual([]);
    const viaZip = await extractAll(connector(passwordConfig(peer.credentials.zipPath)));
    expect(viaZip.total).toEqual(counts(district));
    const keyPath = join(scratch, "id_ed25519");
    await writeFile(keyPath, peer.credentials.privateKey, { mode: 0o600 });
    const viaFolderOfZips = await extractAll(connector(keyConfig({ privateKey: undefined, privateKeyPath: keyPath }, "/")));
    expect(viaFolderOfZips.total).toEqual(counts(district));
    expect(await leftoverDownloads()).toEqual([]);
  });

  it("uses the newest zip of a folder of exports", async () => {
    const folder = join(peer.servedRoot(), "exports");
    await mkdir(folder);
    const files = await exportFiles();
    // The older export is broken on purpose: reading it would fail the run.
    await writeFile(join(folder, "2026-01-01.zip"), await zipBuffer({ ...files, "users.csv": "not,a,oneroster,header\n" }));
    await utimes(join(folder, "2026-01-01.zip"), new Date("2026-01-01T00:00:00Z"), new Date("2026-01-01T00:00:00Z"));
    await writeFile(join(folder, "2026-01-02.zip"), await zipBuffer(files));
    await utimes(join(folder, "2026-01-02.zip"), new Date("2026-01-02T00:00:00Z"), new Date("2026-01-02T00:00:00Z"));
    expect(await connector(keyConfig({}, "/exports")).test()).toEqual({
      success: true,
      message: `Connected to sftp://127.0.0.1:${peer.port}; found 2026-01-02.zip (newest of 2) in /exports`,
    });
    expect((await extractAll(connector(keyConfig({}, "/exports")))).total).toEqual(counts(district));
    // Make the broken one the newest: now it is the one read.
    await utimes(join(folder, "2026-01-01.zip"), new Date("2026-01-03T00:00:00Z"), new Date("2026-01-03T00:00:00Z"));
    expect((await failure(extractAll(connector(keyConfig({}, "/exports"))))).message).toBe("users.csv is missing required column 'sourcedId'");
  });

  it("refuses a host whose key does not match the pin, before reading anything", async () => {
    const opened = peer.requestCount();
    const wrongPin = "SHA256:" + "A".repeat(43);
    const err = await failure(extractAll(connector(keyConfig({ hostKeySha256: wrongPin }))));
    expect(err.code).toBe("HOST_KEY_MISMATCH");
    expect(err.message).toBe(`SFTP host key for 127.0.0.1 is ${peer.credentials.hostKeySha256} but the provider pins ${wrongPin}; refusing to connect`);
    const tested = await connector(keyConfig({ hostKeySha256: wrongPin })).test();
    expect(tested).toEqual({ success: false, message: err.message });
    expect(peer.requestCount()).toBe(opened);
  });

  it("logs the seen fingerprint when no key is pinned, and never logs the credential", async () => {
    const logger = memoryLogger();
    await connector(keyConfig({ hostKeySha256: undefined }), logger).test();
    expect(logger.lines).toContainEqual({
      level: "info",
      message: "SFTP host key is not pinned; pin this fingerprint as sftp.hostKeySha256",
      meta: { host: "127.0.0.1", hostKeySha256: peer.credentials.hostKeySha256 },
    });
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain(peer.credentials.password);
    expect(logged).not.toContain("PRIVATE KEY");
  });

  it("reports a refused login without the password", async () => {
    const config = passwordConfig(peer.credentials.remotePath);
    config.sftp.password = "not-the-password";
    const err = await failure(extractAll(connector(config)));
    expect(err.code).toBe("AUTH_FAILED");
    expect(err.message).toBe(`sftp://127.0.0.1:${peer.port} refused the login for user ${peer.credentials.username} (check the key or password)`);
  });

  it("reports a host that refuses the connection as unreachable", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await failure(extractAll(connector(keyConfig({ port }))));
    expect(err.code).toBe("UNREACHABLE");
    expect(err.message).toBe(`sftp://127.0.0.1:${port} refused the connection`);
    expect(await connector(keyConfig({ port })).test()).toEqual({ success: false, message: err.message });
  });

  it("refuses a private SFTP host unless private hosts are allowed, without connecting", async () => {
    const before = peer.stats().connections;
    const err = await failure(extractAll(connector(keyConfig(), memoryLogger(), false)));
    expect(err.code).toBe("HOST_NOT_ALLOWED");
    expect(err.message).toBe("Host 127.0.0.1 resolves to 127.0.0.1, a private or reserved address; refusing to connect");
    expect(peer.stats().connections).toBe(before);
  });

  it("is built by createConnector for ONEROSTER_CSV", async () => {
    const c = createConnector("ONEROSTER_CSV", keyConfig(), { providerId: "p1", logger: memoryLogger(), redis: null, redisPrefix: "t:", allowPrivateHosts: true, requireHttps: false });
    expect(await c.test()).toMatchObject({ success: true });
  });

  it("fails a truncated zip as a bad file and removes the download", async () => {
    await peer.setFaults({ truncateZip: true });
    try {
      const err = await failure(extractAll(connector(keyConfig({}, peer.credentials.zipPath))));
      expect(err.code).toBe("BAD_FILE");
      expect(err.message).toMatch(
        new RegExp(`^sftp://127\\.0\\.0\\.1:${peer.port}/oneroster\\.zip is not a readable zip \\(truncated or corrupt\\): End of central directory record signature not found`),
      );
      expect(await leftoverDownloads()).toEqual([]);
    } finally {
      await peer.setFaults({});
    }
  });

  it("refuses a zip bomb and a zip whose entry climbs out of the folder", async () => {
    const files = await exportFiles();
    await writeFile(join(peer.servedRoot(), "bomb.zip"), await zipBuffer({ ...files, "users.csv": Buffer.alloc(8 * 1024 * 1024, 0x20) }));
    const bomb = await failure(extractAll(connector(keyConfig({}, "/bomb.zip"))));
    expect(bomb.code).toBe("BAD_FILE");
    expect(bomb.message).toMatch(new RegExp(`^sftp://127\\.0\\.0\\.1:${peer.port}/bomb\\.zip: entry 'users\\.csv' declares 8388608 bytes from \\d+ compressed \\(over 200:1\\); refusing a possible zip bomb$`));

    // yazl refuses to write "..": write "xx/users.csv" and rename it in place (same length).
    const zip = await zipBuffer({ ...files, "xx/evil.csv": "x\n" });
    let at = zip.indexOf("xx/evil.csv");
    while (at !== -1) {
      zip.write("../evil.csv", at, "latin1");
      at = zip.indexOf("xx/evil.csv", at + 1);
    }
    await writeFile(join(peer.servedRoot(), "traversal.zip"), zip);
    const traversal = await failure(extractAll(connector(keyConfig({}, "/traversal.zip"))));
    expect(traversal.code).toBe("BAD_FILE");
    expect(traversal.message).toBe(`sftp://127.0.0.1:${peer.port}/traversal.zip has an entry named '../evil.csv' that points outside the export folder; refusing the zip`);
    expect(await leftoverDownloads()).toEqual([]);
  });

  it("fails on a missing required column naming the file and column, after yielding only the kinds before it", async () => {
    const folder = join(peer.servedRoot(), "missing-column");
    await cp(join(peer.servedRoot(), peer.credentials.remotePath), folder, { recursive: true });
    const users = (await readFile(join(folder, "users.csv"), "utf8")).replace(/^(.*?),role,/, "$1,");
    await writeFile(join(folder, "users.csv"), users);
    const gen = connector(keyConfig({}, "/missing-column")).extract({ signal: new AbortController().signal, logger: memoryLogger(), mode: "full", cursor: null });
    const kinds: string[] = [];
    const err = await failure(
      (async () => {
        for await (const b of gen) kinds.push(b.kind);
      })(),
    );
    expect(err).toEqual(new ConnectorError("BAD_FILE", "users.csv is missing required column 'role'"));
    expect([...new Set(kinds)]).toEqual(["schools", "classes"]);
  });

  it("turns the malformed users.csv row into one record error with file and line, losing no other row", async () => {
    await peer.setFaults({ malformedRowInUsers: true });
    try {
      const { total, rejected } = await extractAll(connector(keyConfig()));
      expect(total).toEqual(counts(district));
      // Header on line 1, then one line per user: the appended row is the next line.
      expect(rejected).toEqual([
        {
          externalId: "sim-malformed-row",
          message: `users.csv line ${district.users.count + 2}: Quoted field unterminated`,
          raw: { line: expect.stringMatching(/^sim-malformed-row,,,true,"/) },
        },
      ]);
    } finally {
      await peer.setFaults({});
    }
  });

  it("stops with CANCELLED when the run is cancelled mid-export", async () => {
    const abort = new AbortController();
    const gen = connector(keyConfig()).extract({ signal: abort.signal, logger: memoryLogger(), mode: "full", cursor: null });
    expect((await gen.next()).value).toMatchObject({ kind: "schools" });
    abort.abort();
    const err = await failure(
      (async () => {
        for await (const _ of gen) void _;
      })(),
    );
    expect(err.code).toBe("CANCELLED");
  });
});
