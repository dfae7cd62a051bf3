import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import SftpClient from "ssh2-sftp-client";
import { ConnectorError, type ConnectorLogger } from "@sis-sync/roster";
import { connect as netConnect } from "node:net";
import { assertHostAllowed, guardedLookup } from "../net/host-guard";
import type { OneRosterCsvConfig } from "../provider-config";
import type { CsvSource } from "./csv-source";
import { MANIFEST_FILE } from "./oneroster-csv-files";
import { DEFAULT_ZIP_LIMITS, openZipSource, type ZipLimits } from "./zip-source";

/** The fingerprint `ssh-keygen -lf` prints: "SHA256:" + unpadded base64 of the key blob's SHA-256. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** How long to wait for TCP + SSH handshake + auth before calling the host unreachable. */
const READY_TIMEOUT_MS = 20_000;

export interface SftpOpenOptions {
  allowPrivateHosts: boolean;
  logger: ConnectorLogger;
  signal?: AbortSignal;
  zipLimits?: ZipLimits;
  /** Where downloaded zips are kept while read (default: the OS temp folder). */
  tempDir?: string;
}

/** What `remotePath` turned out to be (api.md: a CSV folder, a folder of zips, or one zip). */
export type RemoteExport = { kind: "folder"; path: string; files: string[] } | { kind: "zip"; path: string; size: number; candidates: number };

/** ssh2-sftp-client's end() is a no-op until the sftp channel exists; the ssh2 client underneath can always be ended. */
function endSocket(client: SftpClient): void {
  (client as unknown as { client?: { end(): void } }).client?.end();
}

export class SftpConnection {
  private ended = false;
  private constructor(
    readonly client: SftpClient,
    readonly url: string,
    private readonly signal: AbortSignal | undefined,
    private readonly onAbort: () => void,
  ) {}

  /**
   * Connects with the configured credential and host-key pin. A pin mismatch fails with
   * HOST_KEY_MISMATCH before any credential is sent (ssh2 verifies the host key during key
   * exchange, before auth). Without a pin the seen fingerprint is logged so an admin can pin it.
   */
  static async connect(config: OneRosterCsvConfig, options: SftpOpenOptions): Promise<SftpConnection> {
    const { sftp } = config;
    const port = sftp.port ?? 22;
    const url = `sftp://${sftp.host}:${port}`;
    await assertHostAllowed(sftp.host, { allowPrivateHosts: options.allowPrivateHosts });
    let privateKey: string | undefined = sftp.privateKey;
    if (sftp.privateKeyPath) {
      try {
        privateKey = await readFile(sftp.privateKeyPath, "utf8");
      } catch (err) {
        throw new ConnectorError("CONFIG", `Could not read the SFTP private key file ${sftp.privateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
      }
    }
    let seenFingerprint: string | null = null;
    // ssh2-sftp-client's default global listeners print to the console; route them to the run's log.
    const client = new SftpClient("oneroster-csv", {
      error: (err: unknown) => options.logger.warn("SFTP connection error", { host: sftp.host, error: (err as Error)?.message }),
      end: () => options.logger.debug("SFTP connection ended", { host: sftp.host }),
      close: () => options.logger.debug("SFTP connection closed", { host: sftp.host }),
    });
    // Cancelling drops the connection, which fails whatever transfer is in flight.
    const onAbort = () => endSocket(client);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
      await client.connect({
        host: sftp.host,
        port,
        // Our own socket, so the address actually dialled passes the private-address check too
        // (a name that resolved to a public address above could re-resolve to a private one).
        sock: netConnect({ host: sftp.host, port, lookup: guardedLookup({ allowPrivateHosts: options.allowPrivateHosts }) }),
        username: sftp.username,
        ...(privateKey ? { privateKey } : { password: sftp.password }),
        readyTimeout: READY_TIMEOUT_MS,
        // Only the configured method: ssh2 would otherwise also try an ssh-agent or keyboard-interactive.
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          seenFingerprint = hostKeyFingerprint(key);
          return !sftp.hostKeySha256 || seenFingerprint === sftp.hostKeySha256;
        },
      });
    } catch (err) {
      options.signal?.removeEventListener("abort", onAbort);
      endSocket(client);
      if (seenFingerprint && sftp.hostKeySha256 && seenFingerprint !== sftp.hostKeySha256) {
        throw new ConnectorError(
          "HOST_KEY_MISMATCH",
          `SFTP host key for ${sftp.host} is ${seenFingerprint} but the provider pins ${sftp.hostKeySha256}; refusing to connect`,
        );
      }
      if (options.signal?.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
      throw connectError(err, url, sftp.username);
    }
    if (!sftp.hostKeySha256) {
      options.logger.info("SFTP host key is not pinned; pin this fingerprint as sftp.hostKeySha256", { host: sftp.host, hostKeySha256: seenFingerprint });
    }
    return new SftpConnection(client, url, options.signal, onAbort);
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    await this.client.end().catch(() => endSocket(this.client));
  }

  /** Decides what `remotePath` is; a folder of zips picks the newest by modification time. */
  async resolve(remotePath: string): Promise<RemoteExport> {
    const stat = await this.client.stat(remotePath).catch((err: NodeJS.ErrnoException) => {
      throw new ConnectorError("BAD_FILE", `${this.url}${remotePath} does not exist or cannot be read (${sftpReason(err)})`, { cause: err });
    });
    if (stat.isFile) {
      if (!/\.zip$/i.test(remotePath)) throw new ConnectorError("BAD_FILE", `${this.url}${remotePath} is a file but not a .zip export`);
      return { kind: "zip", path: remotePath, size: stat.size, candidates: 1 };
    }
    const listing = await this.client.list(remotePath).catch((err: NodeJS.ErrnoException) => {
      throw new ConnectorError("BAD_FILE", `${this.url}${remotePath} cannot be listed (${sftpReason(err)})`, { cause: err });
    });
    const files = listing.filter((f) => f.type === "-").map((f) => f.name);
    if (files.includes(MANIFEST_FILE)) return { kind: "folder", path: remotePath, files };
    const zips = listing.filter((f) => f.type === "-" && /\.zip$/i.test(f.name));
    if (zips.length === 0) throw new ConnectorError("BAD_FILE", `${this.url}${remotePath} holds neither ${MANIFEST_FILE} nor a .zip export`);
    // Newest first; the name breaks ties so two zips uploaded in the same second pick deterministically.
    zips.sort((a, b) => b.modifyTime - a.modifyTime || b.name.localeCompare(a.name));
    return { kind: "zip", path: posix.join(remotePath, zips[0].name), size: zips[0].size, candidates: zips.length };
  }

  /** Opens the export as a CsvSource: folder files stream straight from SFTP; a zip is downloaded to a temp file first. */
  async openExport(found: RemoteExport, options: SftpOpenOptions): Promise<CsvSource> {
    if (found.kind === "folder") return this.folderSource(found.path, found.files);
    const limits = options.zipLimits ?? DEFAULT_ZIP_LIMITS;
    if (found.size > limits.maxTotalUncompressedBytes) {
      throw new ConnectorError("BAD_FILE", `${this.url}${found.path} is ${found.size} bytes; refusing exports over ${limits.maxTotalUncompressedBytes} bytes`);
    }
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), "sis-sync-oneroster-"));
    const cleanup = async () => {
      await rm(dir, { recursive: true, force: true });
      await this.end();
    };
    const local = join(dir, "export.zip");
    try {
      await this.client.fastGet(found.path, local);
    } catch (err) {
      await cleanup();
      if (options.signal?.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
      throw new ConnectorError("UNREACHABLE", `Could not download ${this.url}${found.path} (${sftpReason(err as NodeJS.ErrnoException)})`, { cause: err });
    }
    // The zip is local now: the connection is not needed while it is parsed.
    await this.end();
    return openZipSource(local, `${this.url}${found.path}`, limits, cleanup);
  }

  private folderSource(folder: string, files: string[]): CsvSource {
    const set = new Set(files);
    const location = `${this.url}${folder}`;
    const open = new Set<Readable>();
    return {
      location,
      files: () => [...files],
      has: (fileName) => set.has(fileName),
      open: async (fileName): Promise<Readable> => {
        if (!set.has(fileName)) throw new ConnectorError("BAD_FILE", `${location} has no ${fileName}`);
        const stream = this.client.createReadStream(posix.join(folder, fileName)) as Readable;
        // The reader sees errors through its own iteration; this keeps one arriving after the
        // reader let go (the handle's close racing the connection's end) from being unhandled.
        stream.on("error", () => undefined);
        open.add(stream);
        const forget = () => open.delete(stream);
        stream.once("close", forget);
        stream.once("error", () => stream.closed && forget());
        return stream;
      },
      close: async () => {
        // Let every remote handle close before the connection goes, or ssh2 fails the pending CLOSE requests.
        await Promise.all([...open].map((s) => closed(s.destroyed ? s : s.destroy(), STREAM_CLOSE_TIMEOUT_MS)));
        await this.end();
      },
    };
  }

  /** Reads a small file fully (manifest.csv for `test`). */
  async readSmallFile(path: string, maxBytes: number): Promise<string> {
    const stat = await this.client.stat(path);
    if (stat.size > maxBytes) throw new ConnectorError("BAD_FILE", `${this.url}${path} is larger than ${maxBytes} bytes`);
    const data = await this.client.get(path);
    return Buffer.isBuffer(data) ? data.toString("utf8") : String(data);
  }
}

/** How long a remote file handle may take to close before the connection is dropped anyway. */
const STREAM_CLOSE_TIMEOUT_MS = 2_000;

/**
 * ssh2's ReadStream emits 'close' once its remote handle is closed, but only when destroyed
 * without an error; destroyed with one (an abandoned `for await` passes an AbortError) it emits
 * 'error' instead. Either means the handle is gone.
 */
function closed(stream: Readable, timeoutMs: number): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.off("close", done);
      stream.off("error", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    stream.once("close", done);
    stream.once("error", done);
  });
}

function sftpReason(err: NodeJS.ErrnoException | undefined): string {
  // ssh2-sftp-client prefixes messages with the method name ("stat: No such file"); keep the reason only.
  return (err?.message ?? "unknown error").replace(/^\w+:\s*/, "");
}

function connectError(err: unknown, url: string, username: string): ConnectorError {
  if (err instanceof ConnectorError && err.code !== ("EHOSTNOTALLOWED" as never)) return err;
  const e = err as NodeJS.ErrnoException & { level?: string };
  const message = e?.message ?? String(err);
  if (e?.code === "EHOSTNOTALLOWED") return new ConnectorError("HOST_NOT_ALLOWED", message.replace(/^[\w]+:\s*/, ""), { cause: err });
  if (e?.level === "client-authentication" || /authentication methods failed/i.test(message)) {
    return new ConnectorError("AUTH_FAILED", `${url} refused the login for user ${username} (check the key or password)`, { cause: err });
  }
  if (/privateKey|private key|Cannot parse/i.test(message)) {
    return new ConnectorError("CONFIG", `The SFTP private key could not be used: it is not an OpenSSH or PEM private key, or it is encrypted`, { cause: err });
  }
  if (/timed out|timeout/i.test(message)) return new ConnectorError("UNREACHABLE", `${url} did not answer within ${READY_TIMEOUT_MS / 1000}s`, { cause: err });
  if (/refused/i.test(message)) return new ConnectorError("UNREACHABLE", `${url} refused the connection`, { cause: err });
  if (/lookup|ENOTFOUND|EAI_AGAIN/i.test(message)) return new ConnectorError("UNREACHABLE", `${url}: the host name could not be resolved`, { cause: err });
  return new ConnectorError("UNREACHABLE", `Could not connect to ${url}: ${message.replace(/^[\w]+:\s*/, "")}`, { cause: err });
}
