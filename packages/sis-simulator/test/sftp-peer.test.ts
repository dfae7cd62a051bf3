import { createHash } from "node:crypto";
import Papa from "papaparse";
import { Client, type SFTPWrapper } from "ssh2";
import yauzl from "yauzl";
import { DISTRICT_SIZES, generateDistrict, mutate, startSftpPeer, type SftpPeer } from "../src";

const district = generateDistrict({ ...DISTRICT_SIZES.tiny, seed: 41 });
let peer: SftpPeer;

beforeEach(async () => {
  peer = await startSftpPeer({ district });
});
afterEach(() => peer.close());

interface Session {
  sftp: SFTPWrapper;
  seenHostKey: string;
  end(): void;
}

/** Connects like a pinning client: records the host key fingerprint it was shown. */
function connect(auth: { privateKey?: string; password?: string }): Promise<Session> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seenHostKey = "";
    client
      .on("ready", () => {
        client.sftp((err, sftp) => (err ? reject(err) : resolve({ sftp, seenHostKey, end: () => client.end() })));
      })
      .on("error", reject)
      .connect({
        host: peer.credentials.host,
        port: peer.credentials.port,
        username: peer.credentials.username,
        ...auth,
        hostVerifier: (key: Buffer) => {
          seenHostKey = `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
          return seenHostKey === peer.credentials.hostKeySha256;
        },
      });
  });
}

function list(sftp: SFTPWrapper, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => sftp.readdir(path, (err, entries) => (err ? reject(err) : resolve(entries.map((e) => e.filename).sort()))));
}

function download(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    sftp
      .createReadStream(path)
      .on("data", (chunk: Buffer) => chunks.push(chunk))
      .on("error", reject)
      .on("end", () => resolve(Buffer.concat(chunks)));
  });
}

function zipEntries(buffer: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names: string[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on("end", () => resolve(names.sort()));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

const CSV_FILES = ["academicSessions.csv", "classes.csv", "courses.csv", "enrollments.csv", "manifest.csv", "orgs.csv", "users.csv"];

describe("SFTP peer", () => {
  it("serves the bulk export to a key-authenticated client that pins the host key", async () => {
    const session = await connect({ privateKey: peer.credentials.privateKey });
    try {
      expect(session.seenHostKey).toBe(peer.credentials.hostKeySha256);
      expect(peer.credentials.hostKeySha256).toBe("SHA256:1TxKD1Clkqou2er+aSXCglQlmrqWn7dJkeK0LioFudI");
      expect(await list(session.sftp, "/")).toEqual(["oneroster", "oneroster.zip"]);
      expect(await list(session.sftp, peer.credentials.remotePath)).toEqual(CSV_FILES);
      const users = Papa.parse<Record<string, string>>((await download(session.sftp, `${peer.credentials.remotePath}/users.csv`)).toString("utf8"), {
        header: true,
        skipEmptyLines: true,
      });
      expect(users.errors).toEqual([]);
      expect(users.data.map((u) => u.sourcedId)).toEqual([...district.users].map((u) => u.id));
      const manifest = (await download(session.sftp, `${peer.credentials.remotePath}/manifest.csv`)).toString("utf8");
      expect(manifest).toContain("file.users,bulk");
      expect(await zipEntries(await download(session.sftp, peer.credentials.zipPath))).toEqual(CSV_FILES);
    } finally {
      session.end();
    }
    expect(peer.stats().connections).toBe(1);
    expect(peer.requestCount()).toBeGreaterThanOrEqual(5);
  });

  it("accepts the password and refuses a wrong one", async () => {
    const ok = await connect({ password: peer.credentials.password });
    expect(await list(ok.sftp, "/")).toContain("oneroster");
    ok.end();
    await expect(connect({ password: "wrong" })).rejects.toThrow(/authentication/i);
  });

  it("is read-only", async () => {
    const session = await connect({ privateKey: peer.credentials.privateKey });
    try {
      await expect(new Promise((resolve, reject) => session.sftp.open("/oneroster/new.csv", "w", (err, h) => (err ? reject(err) : resolve(h))))).rejects.toThrow();
      await expect(new Promise((resolve, reject) => session.sftp.unlink("/oneroster/users.csv", (err) => (err ? reject(err) : resolve(null))))).rejects.toThrow();
    } finally {
      session.end();
    }
  });

  it("publishes a delta export after the district changes", async () => {
    const { district: next, expected } = mutate(district, { seed: 1 });
    await peer.setDistrict(next);
    const session = await connect({ privateKey: peer.credentials.privateKey });
    try {
      expect(await list(session.sftp, "/")).toEqual(["oneroster", "oneroster-delta", "oneroster-delta.zip", "oneroster.zip"]);
      const bulkUsers = (await download(session.sftp, "/oneroster/users.csv")).toString("utf8").trim().split("\n");
      expect(bulkUsers).toHaveLength(next.users.count + 1);
      const delta = Papa.parse<Record<string, string>>((await download(session.sftp, `${peer.credentials.deltaPath}/users.csv`)).toString("utf8"), {
        header: true,
        skipEmptyLines: true,
      });
      expect(delta.data).toHaveLength(expected.users.created + expected.users.updated + expected.users.deactivated);
      expect(delta.data.filter((u) => u.status === "tobedeleted")).toHaveLength(expected.users.deactivated);
      expect((await download(session.sftp, `${peer.credentials.deltaPath}/manifest.csv`)).toString()).toContain("file.enrollments,delta");
      expect(await zipEntries(await download(session.sftp, peer.credentials.deltaZipPath))).toEqual(CSV_FILES);
    } finally {
      session.end();
    }
  });

  it("serves a malformed users row and a truncated zip on demand", async () => {
    await peer.setFaults({ malformedRowInUsers: true, truncateZip: true });
    const session = await connect({ privateKey: peer.credentials.privateKey });
    try {
      const users = Papa.parse((await download(session.sftp, "/oneroster/users.csv")).toString("utf8"), { header: true, skipEmptyLines: true });
      expect(users.errors.length).toBeGreaterThan(0);
      await expect(zipEntries(await download(session.sftp, peer.credentials.zipPath))).rejects.toThrow();
    } finally {
      session.end();
    }
  });
});
