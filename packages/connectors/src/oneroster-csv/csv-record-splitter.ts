import type { Readable } from "node:stream";
import { ConnectorError } from "@sis-sync/roster";

/** One CSV record as text (terminator stripped) and the physical line it starts on (1-based). */
export interface RawRecord {
  text: string;
  line: number;
}

export interface SplitOptions {
  /** File name for messages ("users.csv"). */
  fileName: string;
  /**
   * Longest record accepted, in characters. A 100 MB line (or an unclosed quote that swallows
   * the rest of a file) must fail with a clear message instead of growing one string until the
   * worker runs out of memory; a real roster row is a few hundred characters.
   */
  maxRecordChars: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_RECORD_CHARS = 1024 * 1024;

const QUOTE = 34; // "
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * Splits a byte stream into CSV records (RFC 4180: a quote opens a quoted field only at the
 * start of a field, `""` escapes a quote, newlines inside quotes belong to the field), pulling
 * from the stream only as fast as the consumer takes batches (async iteration is backpressure).
 *
 * Why not let papaparse read the stream itself: papaparse buffers a partial row without bound
 * and reports character offsets, not lines. Splitting here gives record-aligned chunks to
 * papaparse, exact line numbers for record errors, and a hard cap on any one record.
 *
 * Decodes UTF-8 strictly, streaming (multi-byte characters split across chunks survive): OneRoster
 * CSV is UTF-8, and a Latin-1 or UTF-16 file read leniently would overwrite every accented name
 * with U+FFFD, so such a file is refused. Strips a leading BOM, accepts LF and CRLF, skips blank lines.
 */
export async function* splitCsvRecords(stream: Readable, options: SplitOptions): AsyncGenerator<RawRecord[], void, void> {
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const decode = (chunk?: Buffer): string => {
    try {
      return chunk ? utf8.decode(chunk, { stream: true }) : utf8.decode();
    } catch {
      throw new ConnectorError("BAD_FILE", `${options.fileName} line ${line}: the file is not UTF-8 text (export or save it as UTF-8); refusing the file`);
    }
  };
  let carry = ""; // text of the unfinished record
  let scanFrom = 0; // index in carry where scanning resumes
  let inQuotes = false;
  let atFieldStart = true;
  let line = 1; // line the unfinished record starts on
  let newlinesInRecord = 0;
  let first = true;

  const tooLong = (at: number): never => {
    throw new ConnectorError(
      "BAD_FILE",
      `${options.fileName} line ${at}: a record is longer than ${options.maxRecordChars} characters (an unclosed quote or a broken file); refusing to read further`,
    );
  };

  function scan(text: string, start: number, final: boolean, out: RawRecord[]): void {
    let recordStart = 0;
    let i = start;
    const n = text.length;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === QUOTE) {
          if (i + 1 >= n && !final) break; // need the next character to tell `""` from a closing quote
          if (text.charCodeAt(i + 1) === QUOTE) i++;
          else inQuotes = false;
        } else if (c === LF) {
          newlinesInRecord++;
        }
        continue;
      }
      if (c === QUOTE && atFieldStart) {
        inQuotes = true;
        atFieldStart = false;
      } else if (c === COMMA) {
        atFieldStart = true;
      } else if (c === LF) {
        const end = i > recordStart && text.charCodeAt(i - 1) === CR ? i - 1 : i;
        if (end > recordStart) out.push({ text: text.slice(recordStart, end), line });
        line += 1 + newlinesInRecord;
        newlinesInRecord = 0;
        recordStart = i + 1;
        atFieldStart = true;
      } else {
        atFieldStart = false;
      }
    }
    carry = text.slice(recordStart);
    scanFrom = i - recordStart;
    if (final && carry.length > 0) {
      // A quote still open at the end of the file that spans lines has swallowed the rows after
      // it: as one bad record they would vanish from the export (and be deactivated).
      if (inQuotes && /\n\s*\S/.test(carry)) {
        throw new ConnectorError("BAD_FILE", `${options.fileName} line ${line}: a quoted field is never closed, so every row after it would be lost; refusing the file`);
      }
      const end = carry.charCodeAt(carry.length - 1) === CR ? carry.length - 1 : carry.length;
      if (end > 0) out.push({ text: carry.slice(0, end), line });
      carry = "";
    }
  }

  for await (const chunk of stream) {
    if (options.signal?.aborted) throw new ConnectorError("CANCELLED", "The sync was cancelled");
    let text = typeof chunk === "string" ? chunk : decode(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const out: RawRecord[] = [];
    scan(carry + text, scanFrom, false, out);
    if (carry.length > options.maxRecordChars) tooLong(line);
    for (const r of out) if (r.text.length > options.maxRecordChars) tooLong(r.line);
    if (out.length > 0) yield out;
  }
  const rest = decode();
  const out: RawRecord[] = [];
  scan(carry + (first && rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest), scanFrom, true, out);
  for (const r of out) if (r.text.length > options.maxRecordChars) tooLong(r.line);
  if (out.length > 0) yield out;
}
