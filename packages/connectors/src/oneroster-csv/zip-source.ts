import { Transform, type Readable, type TransformCallback } from "node:stream";
import yauzl from "yauzl";
import { ConnectorError } from "@sis-sync/roster";
import type { CsvSource } from "./csv-source";

/**
 * Limits that keep a hostile or broken zip from exhausting the worker. A OneRoster export holds
 * about 14 files (§4.2), so 100 entries is generous; 2 GiB of CSV is several million users with
 * all their enrollments; CSV compresses about 5–20:1 with deflate, so an entry above 200:1 and
 * larger than 1 MiB is a zip bomb, not a roster (tiny files may compress arbitrarily well).
 */
export interface ZipLimits {
  maxEntries: number;
  maxTotalUncompressedBytes: number;
  maxCompressionRatio: number;
  /** Entries inflating to less than this are exempt from the ratio check. */
  ratioCheckMinBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 100,
  maxTotalUncompressedBytes: 2 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioCheckMinBytes: 1024 ** 2,
};

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // strictFileNames: a backslash name is refused, not silently turned into a path.
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err ?? new Error("no zip")) : resolve(zip),
    );
  });
}

/** Entry names that could escape the export folder if anyone ever extracted them. */
export function unsafeEntryName(name: string): boolean {
  return (
    name.includes("\\") ||
    name.includes("\0") ||
    name.startsWith("/") ||
    /^[a-zA-Z]:/.test(name) ||
    name.split("/").some((segment) => segment === "..")
  );
}

function readEntries(zip: yauzl.ZipFile, displayName: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", (err: Error) => reject(toZipError(err, displayName)));
    zip.readEntry();
  });
}

function toZipError(err: Error, displayName: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const m = /^(?:invalid relative path|absolute path|invalid characters in fileName): (.*)$/.exec(err.message);
  if (m) {
    return new ConnectorError("BAD_FILE", `${displayName} has an entry named '${m[1]}' that points outside the export folder; refusing the zip`, { cause: err });
  }
  return new ConnectorError("BAD_FILE", `${displayName} is not a readable zip (truncated or corrupt): ${err.message}`, { cause: err });
}

/**
 * Counts the bytes actually inflated and stops the stream as soon as an entry passes the ratio
 * limit or the export passes the total limit. yauzl's validateEntrySizes already stops an entry
 * that inflates past its declared size; this guard does not depend on that check or on headers.
 */
class InflateGuard extends Transform {
  private bytes = 0;
  constructor(
    private readonly entry: yauzl.Entry,
    private readonly limits: ZipLimits,
    private readonly total: { bytes: number },
    private readonly displayName: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.total.bytes += chunk.length;
    if (this.bytes > this.limits.ratioCheckMinBytes && this.bytes / Math.max(this.entry.compressedSize, 1) > this.limits.maxCompressionRatio) {
      return done(zipBomb(this.displayName, this.entry.fileName, `inflates to more than ${this.limits.maxCompressionRatio} times its compressed size`));
    }
    if (this.total.bytes > this.limits.maxTotalUncompressedBytes) {
      return done(zipBomb(this.displayName, this.entry.fileName, `brings the export past ${this.limits.maxTotalUncompressedBytes} uncompressed bytes`));
    }
    done(null, chunk);
  }
}

function zipBomb(displayName: string, entryName: string, why: string): ConnectorError {
  return new ConnectorError("BAD_FILE", `${displayName}: entry '${entryName}' ${why}; refusing a possible zip bomb`);
}

/**
 * A OneRoster zip on local disk (yauzl needs random access, so SFTP zips are downloaded first).
 * Every entry is checked before any is read: count, names, declared sizes and ratios; reading
 * then re-checks the bytes actually inflated.
 */
export async function openZipSource(zipPath: string, displayName: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS, onClose?: () => Promise<void>): Promise<CsvSource> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (err) {
    await onClose?.();
    throw toZipError(err as Error, displayName);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    zip.close();
    await onClose?.();
  };
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ConnectorError("BAD_FILE", `${displayName} has ${zip.entryCount} entries; a OneRoster export has at most ${limits.maxEntries}`);
    }
    const entries = await readEntries(zip, displayName);
    const byName = new Map<string, yauzl.Entry>();
    let declaredTotal = 0;
    for (const entry of entries) {
      if (unsafeEntryName(entry.fileName)) throw toZipError(new Error(`invalid relative path: ${entry.fileName}`), displayName);
      if (entry.fileName.endsWith("/")) continue; // a directory
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalUncompressedBytes) {
        throw zipBomb(displayName, entry.fileName, `brings the export past ${limits.maxTotalUncompressedBytes} uncompressed bytes`);
      }
      if (entry.uncompressedSize > limits.ratioCheckMinBytes && entry.uncompressedSize / Math.max(entry.compressedSize, 1) > limits.maxCompressionRatio) {
        throw zipBomb(displayName, entry.fileName, `declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed (over ${limits.maxCompressionRatio}:1)`);
      }
      // OneRoster puts the files at the archive root (§4.1); a single wrapping folder is common
      // enough from hand-made zips that files are found by their base name.
      const base = entry.fileName.slice(entry.fileName.lastIndexOf("/") + 1);
      if (byName.has(base)) throw new ConnectorError("BAD_FILE", `${displayName} holds ${base} twice`);
      byName.set(base, entry);
    }
    const total = { bytes: 0 };
    return {
      location: displayName,
      files: () => [...byName.keys()],
      has: (fileName) => byName.has(fileName),
      async open(fileName): Promise<Readable> {
        const entry = byName.get(fileName);
        if (!entry) throw new ConnectorError("BAD_FILE", `${displayName} has no ${fileName}`);
        const raw = await new Promise<Readable>((resolve, reject) =>
          zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(toZipError(err ?? new Error("no stream"), displayName)) : resolve(stream))),
        );
        const guard = new InflateGuard(entry, limits, total, displayName);
        // Errors from inflating (truncated data, size mismatch) surface on the guard, as BAD_FILE.
        raw.on("error", (err) =>
          guard.destroy(
            /^too many bytes/.test(err.message)
              ? zipBomb(displayName, entry.fileName, `inflates to more bytes than its header declares (${entry.uncompressedSize})`)
              : toZipError(err, displayName),
          ),
        );
        guard.on("close", () => raw.destroy());
        return raw.pipe(guard);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
