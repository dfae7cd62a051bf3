/**
 * OneRoster 1.1 CSV over SFTP: ssh2's server mode with a fixed host key, public-key and
 * password auth, serving a read-only tree of CSV exports:
 *   /oneroster/            bulk export (manifest.csv + the 1.1 CSV files)   ← remotePath
 *   /oneroster.zip         the same, zipped
 *   /oneroster-delta/      delta since the previous district (after setDistrict)
 *   /oneroster-delta.zip
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { mkdtemp, open, readdir, rm, stat, type FileHandle } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Server, utils, type Attributes, type Connection, type FileEntry, type SFTPWrapper } from "ssh2";
import type { District } from "../generator";
import type { SftpFaults } from "../faults";
import { writeOneRosterCsv } from "../csv/oneroster-csv";
import { SIMULATOR_HOST_KEY } from "./host-key";

const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export interface SftpCredentials {
  host: "127.0.0.1";
  port: number;
  username: string;
  /** OpenSSH private key text for public-key auth. */
  privateKey: string;
  password: string;
  /** The host key fingerprint as `ssh-keygen -lf` prints it: "SHA256:<base64 without padding>". */
  hostKeySha256: string;
  /** Folder holding manifest.csv and the bulk CSV files. */
  remotePath: string;
  /** The bulk export zipped. */
  zipPath: string;
  /** Delta export (present after a setDistrict) and its zip. */
  deltaPath: string;
  deltaZipPath: string;
}

export interface SftpPeerOptions {
  district: District;
  port?: number;
  faults?: SftpFaults;
  credentials?: { username?: string; password?: string };
}

export interface SftpPeerStats {
  connections: number;
  /** Files and directories opened, per path. */
  opened: Record<string, number>;
}

export interface SftpPeer {
  host: "127.0.0.1";
  port: number;
  credentials: SftpCredentials;
  /** Rewrites the bulk export for `district` and a delta export from the district served before. */
  setDistrict(district: District): Promise<void>;
  /** Rewrites the exports with these faults applied. */
  setFaults(faults: SftpFaults): Promise<void>;
  /** Files and directories opened so far. */
  requestCount(): number;
  stats(): SftpPeerStats;
  /** The local folder currently served as "/" (tests can read the files directly). */
  servedRoot(): string;
  close(): Promise<void>;
}

const REMOTE = { bulk: "/oneroster", zip: "/oneroster.zip", delta: "/oneroster-delta", deltaZip: "/oneroster-delta.zip" };

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hostKeyFingerprint(privateKey: string): string {
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return `SHA256:${createHash("sha256").update(key.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
}

function longname(name: string, st: Stats): string {
  const kind = st.isDirectory() ? "d" : "-";
  const date = st.mtime.toDateString().slice(4, 10);
  const time = st.mtime.toTimeString().slice(0, 5);
  return `${kind}r--r--r-- 1 sim sim ${String(st.size).padStart(10)} ${date} ${time} ${name}`;
}

function attrsOf(st: Stats): Attributes {
  return {
    mode: (st.isDirectory() ? constants.S_IFDIR : constants.S_IFREG) | 0o444 | (st.isDirectory() ? 0o111 : 0),
    uid: 0,
    gid: 0,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

/**
 * ssh2 1.17's generateKeyPairSync("ed25519") drops a leading zero byte of the public key
 * about once in 250 keys, and its own parser then refuses the key: draw again until it parses.
 */
function generateClientKey() {
  for (let attempt = 0; ; attempt++) {
    const clientKey = utils.generateKeyPairSync("ed25519", { comment: "sis-simulator client" });
    const parsedPublic = utils.parseKey(clientKey.public);
    const parsedPrivate = utils.parseKey(clientKey.private);
    if (!(parsedPublic instanceof Error) && !(parsedPrivate instanceof Error)) {
      return { clientKey, allowedKey: Array.isArray(parsedPublic) ? parsedPublic[0] : parsedPublic };
    }
    if (attempt >= 20) throw parsedPublic instanceof Error ? parsedPublic : parsedPrivate;
  }
}

export async function startSftpPeer(options: SftpPeerOptions): Promise<SftpPeer> {
  const username = options.credentials?.username ?? "sis-sim";
  const password = options.credentials?.password ?? randomBytes(12).toString("base64url");
  const { clientKey, allowedKey } = generateClientKey();
  const workDir = await mkdtemp(join(tmpdir(), "sis-sim-sftp-"));
  let generation = 0;
  let root = "";
  let district = options.district;
  let previous: District | null = null;
  let faults: SftpFaults = { ...options.faults };
  let connections = 0;
  const opened = new Map<string, number>();
  const clients = new Set<Connection>();

  // Each export goes to a fresh folder and is swapped in whole: a client never sees half a rewrite.
  const publish = async () => {
    const next = join(workDir, `gen-${++generation}`);
    await writeOneRosterCsv(district, join(next, REMOTE.bulk), { zip: true, faults });
    if (previous) await writeOneRosterCsv(district, join(next, REMOTE.delta), { zip: true, faults, delta: { previous } });
    const old = root;
    root = next;
    if (old) await rm(old, { recursive: true, force: true });
  };
  await publish();

  const serveSftp = (sftp: SFTPWrapper) => {
    const handles = new Map<number, { file: FileHandle } | { entries: FileEntry[]; sent: boolean }>();
    let nextHandle = 0;
    const resolvePath = (p: string) => posix.resolve("/", p || "/");
    const local = (p: string) => join(root, resolvePath(p));
    const newHandle = (value: { file: FileHandle } | { entries: FileEntry[]; sent: boolean }) => {
      const id = nextHandle++;
      handles.set(id, value);
      const buf = Buffer.alloc(4);
      buf.writeUInt32BE(id, 0);
      return buf;
    };
    const handleOf = (buf: Buffer) => (buf.length === 4 ? handles.get(buf.readUInt32BE(0)) : undefined);
    const count = (p: string) => opened.set(resolvePath(p), (opened.get(resolvePath(p)) ?? 0) + 1);

    sftp.on("REALPATH", (reqid, p) => {
      const resolved = resolvePath(p === "." ? "/" : p);
      const attrs: Attributes = { mode: constants.S_IFDIR | 0o555, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 };
      sftp.name(reqid, [{ filename: resolved, longname: resolved, attrs }]);
    });
    const onStat = async (reqid: number, p: string) => {
      try {
        sftp.attrs(reqid, attrsOf(await stat(local(p))));
      } catch {
        sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
      }
    };
    sftp.on("STAT", onStat);
    sftp.on("LSTAT", onStat);
    sftp.on("OPENDIR", async (reqid, p) => {
      try {
        const dir = local(p);
        const names = await readdir(dir);
        const entries: FileEntry[] = [];
        for (const name of names.sort()) {
          const st = await stat(join(dir, name));
          entries.push({ filename: name, longname: longname(name, st), attrs: attrsOf(st) });
        }
        count(p);
        sftp.handle(reqid, newHandle({ entries, sent: false }));
      } catch {
        sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
      }
    });
    sftp.on("READDIR", (reqid, handle) => {
      const h = handleOf(handle);
      if (!h || !("entries" in h)) return sftp.status(reqid, STATUS_CODE.FAILURE);
      if (h.sent || h.entries.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      h.sent = true;
      sftp.name(reqid, h.entries);
    });
    sftp.on("OPEN", async (reqid, p, flags) => {
      if (flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC)) {
        return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "read-only server");
      }
      try {
        const file = await open(local(p), "r");
        count(p);
        sftp.handle(reqid, newHandle({ file }));
      } catch {
        sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
      }
    });
    sftp.on("READ", async (reqid, handle, offset, length) => {
      const h = handleOf(handle);
      if (!h || !("file" in h)) return sftp.status(reqid, STATUS_CODE.FAILURE);
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await h.file.read(buffer, 0, length, offset);
        if (bytesRead === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        sftp.data(reqid, buffer.subarray(0, bytesRead));
      } catch {
        sftp.status(reqid, STATUS_CODE.FAILURE);
      }
    });
    sftp.on("FSTAT", async (reqid, handle) => {
      const h = handleOf(handle);
      if (!h || !("file" in h)) return sftp.status(reqid, STATUS_CODE.FAILURE);
      try {
        sftp.attrs(reqid, attrsOf(await h.file.stat()));
      } catch {
        sftp.status(reqid, STATUS_CODE.FAILURE);
      }
    });
    sftp.on("CLOSE", async (reqid, handle) => {
      const h = handleOf(handle);
      if (!h) return sftp.status(reqid, STATUS_CODE.FAILURE);
      handles.delete(handle.readUInt32BE(0));
      if ("file" in h) await h.file.close().catch(() => undefined);
      sftp.status(reqid, STATUS_CODE.OK);
    });
    for (const op of ["WRITE", "REMOVE", "RENAME", "MKDIR", "RMDIR", "SETSTAT", "FSETSTAT", "SYMLINK", "READLINK"] as const) {
      sftp.on(op, (reqid: number) => sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "read-only server"));
    }
    sftp.on("end", () => {
      for (const h of handles.values()) if ("file" in h) void h.file.close();
      handles.clear();
    });
  };

  const server = new Server({ hostKeys: [SIMULATOR_HOST_KEY] }, (client) => {
    connections++;
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", () => clients.delete(client));
    client.on("authentication", (ctx) => {
      if (ctx.username !== username) return ctx.reject(["publickey", "password"]);
      if (ctx.method === "password") {
        return sameBytes(Buffer.from(ctx.password), Buffer.from(password)) ? ctx.accept() : ctx.reject(["publickey", "password"]);
      }
      if (ctx.method === "publickey") {
        if (ctx.key.algo !== allowedKey.type || !sameBytes(ctx.key.data, allowedKey.getPublicSSH())) return ctx.reject(["publickey", "password"]);
        // Without a signature the client is only asking whether this key would do.
        if (!ctx.signature || !ctx.blob) return ctx.accept();
        return allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject();
      }
      ctx.reject(["publickey", "password"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("sftp", (acceptSftp) => serveSftp(acceptSftp()));
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    credentials: {
      host: "127.0.0.1",
      port,
      username,
      privateKey: clientKey.private,
      password,
      hostKeySha256: hostKeyFingerprint(SIMULATOR_HOST_KEY),
      remotePath: REMOTE.bulk,
      zipPath: REMOTE.zip,
      deltaPath: REMOTE.delta,
      deltaZipPath: REMOTE.deltaZip,
    },
    setDistrict: async (d) => {
      previous = district;
      district = d;
      await publish();
    },
    setFaults: async (f) => {
      faults = { ...f };
      await publish();
    },
    requestCount: () => [...opened.values()].reduce((a, b) => a + b, 0),
    stats: () => ({ connections, opened: Object.fromEntries(opened) }),
    servedRoot: () => root,
    close: async () => {
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
