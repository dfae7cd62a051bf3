import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import yazl from "yazl";
import { ConnectorError } from "@sis-sync/roster";
import { openZipSource, unsafeEntryName, DEFAULT_ZIP_LIMITS } from "./zip-source";

async function zipOf(entries: Record<string, string | Buffer>, compress = true): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name, { compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Rewrites every occurrence of an entry name (local header + central directory) to one of the same length. */
function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length);
  const out = Buffer.from(zip);
  let at = out.indexOf(from);
  let count = 0;
  while (at !== -1) {
    out.write(to, at, "latin1");
    count++;
    at = out.indexOf(from, at + 1);
  }
  expect(count).toBe(2);
  return out;
}

describe("openZipSource", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "oneroster-zip-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(buffer: Buffer, name = "export.zip"): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, buffer);
    return path;
  }

  async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }

  it("lists root files and streams their content, then runs the cleanup on close", async () => {
    const path = await write(await zipOf({ "manifest.csv": "propertyName,value\n", "users.csv": "sourcedId\nu1\n" }));
    let cleaned = 0;
    const source = await openZipSource(path, "export.zip", DEFAULT_ZIP_LIMITS, async () => {
      cleaned++;
    });
    expect(source.files().sort()).toEqual(["manifest.csv", "users.csv"]);
    expect(source.has("users.csv")).toBe(true);
    expect(await text(await source.open("users.csv"))).toBe("sourcedId\nu1\n");
    await source.close();
    await source.close();
    expect(cleaned).toBe(1);
  });

  it("finds files inside a single wrapping folder by their base name", async () => {
    const path = await write(await zipOf({ "export-2026/manifest.csv": "a\n", "export-2026/users.csv": "b\n" }));
    const source = await openZipSource(path, "export.zip");
    expect(source.files().sort()).toEqual(["manifest.csv", "users.csv"]);
    expect(await text(await source.open("users.csv"))).toBe("b\n");
    await source.close();
  });

  it("refuses a truncated zip as BAD_FILE and still runs the cleanup", async () => {
    const whole = await zipOf({ "users.csv": "sourcedId\n" + "u,".repeat(5000) });
    const path = await write(whole.subarray(0, Math.floor(whole.length / 2)));
    let cleaned = false;
    const err = await failure(
      openZipSource(path, "sftp://h:22/x/export.zip", DEFAULT_ZIP_LIMITS, async () => {
        cleaned = true;
      }),
    );
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/^sftp:\/\/h:22\/x\/export\.zip is not a readable zip \(truncated or corrupt\): End of central directory record signature not found/);
    expect(cleaned).toBe(true);
  });

  it("refuses an entry whose name climbs out of the folder", async () => {
    const path = await write(renameEntry(await zipOf({ "manifest.csv": "x\n", "aa/users.csv": "y\n" }), "aa/users.csv", "../users.csv"));
    const err = await failure(openZipSource(path, "export.zip"));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toBe("export.zip has an entry named '../users.csv' that points outside the export folder; refusing the zip");
  });

  it("refuses absolute and backslash entry names", async () => {
    const abs = await write(renameEntry(await zipOf({ "xetc/users.csv": "y\n" }), "xetc/users.csv", "/etc/users.csv"), "abs.zip");
    expect((await failure(openZipSource(abs, "abs.zip"))).message).toBe("abs.zip has an entry named '/etc/users.csv' that points outside the export folder; refusing the zip");
    const back = await write(renameEntry(await zipOf({ "aa/users.csv": "y\n" }), "aa/users.csv", "..\\users.csv"), "back.zip");
    expect((await failure(openZipSource(back, "back.zip"))).message).toBe("back.zip has an entry named '..\\users.csv' that points outside the export folder; refusing the zip");
    expect([unsafeEntryName("users.csv"), unsafeEntryName("a/b.csv"), unsafeEntryName("a/../../b"), unsafeEntryName("C:x")]).toEqual([false, false, true, true]);
  });

  it("refuses a zip with more entries than an export can have", async () => {
    const entries: Record<string, string> = {};
    for (let i = 0; i < 101; i++) entries[`f${i}.csv`] = "x";
    const err = await failure(openZipSource(await write(await zipOf(entries)), "export.zip"));
    expect(err.message).toBe("export.zip has 101 entries; a OneRoster export has at most 100");
  });

  it("refuses a zip bomb from its declared sizes before inflating anything", async () => {
    const bomb = Buffer.alloc(50 * 1024 * 1024, 0);
    const err = await failure(openZipSource(await write(await zipOf({ "manifest.csv": "x\n", "users.csv": bomb })), "export.zip"));
    expect(err.code).toBe("BAD_FILE");
    expect(err.message).toMatch(/^export\.zip: entry 'users\.csv' declares 52428800 bytes from \d+ compressed \(over 200:1\); refusing a possible zip bomb$/);
  });

  it("stops inflating an entry that inflates past the size its header declares", async () => {
    const zip = await zipOf({ "users.csv": Buffer.alloc(50 * 1024 * 1024, 0) });
    // Rewrite the declared uncompressed size (local header offset 22, central directory offset 24) to 1000 bytes.
    const local = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(1000, local + 22);
    zip.writeUInt32LE(1000, central + 24);
    const source = await openZipSource(await write(zip), "export.zip");
    const err = await failure(text(await source.open("users.csv")));
    expect(err.message).toBe("export.zip: entry 'users.csv' inflates to more bytes than its header declares (1000); refusing a possible zip bomb");
    await source.close();
  });

  it("caps the total inflated across entries", async () => {
    const limits = { ...DEFAULT_ZIP_LIMITS, maxTotalUncompressedBytes: 1000 };
    const err = await failure(openZipSource(await write(await zipOf({ "a.csv": "x".repeat(600), "b.csv": "y".repeat(600) }, false)), "export.zip", limits));
    expect(err.message).toBe("export.zip: entry 'b.csv' brings the export past 1000 uncompressed bytes; refusing a possible zip bomb");
  });

  it("leaves no file behind in its folder (the caller owns the temp folder)", async () => {
    const path = await write(await zipOf({ "users.csv": "x\n" }));
    const source = await openZipSource(path, "export.zip", DEFAULT_ZIP_LIMITS, async () => rm(path));
    await source.close();
    expect(await readdir(dir)).toEqual([]);
  });
});
