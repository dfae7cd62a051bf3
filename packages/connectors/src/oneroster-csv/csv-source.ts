import type { Readable } from "node:stream";

/**
 * Where an export's files come from, apart from how they are parsed: an SFTP folder, a zip
 * (downloaded from SFTP), or a local folder in tests.
 */
export interface CsvSource {
  /** Where the files are, for messages and logs (never holds a secret): "sftp://host:22/exports/x.zip". */
  readonly location: string;
  /** File names at the export's root. */
  files(): string[];
  has(fileName: string): boolean;
  /** Opens one file as a byte stream; the caller reads it to the end or destroys it. */
  open(fileName: string): Promise<Readable>;
  /** Releases the connection / temp file. Safe to call twice. */
  close(): Promise<void>;
}
