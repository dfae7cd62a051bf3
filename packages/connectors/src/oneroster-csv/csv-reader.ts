import type { Readable } from "node:stream";
import Papa from "papaparse";
import { ConnectorError } from "@sis-sync/roster";
import { DEFAULT_MAX_RECORD_CHARS, splitCsvRecords, type RawRecord } from "./csv-record-splitter";

/** A data row by column name (every header column, known or not), with the line it starts on. */
export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

/** A row that could not be read as CSV (wrong field count, broken quoting). */
export interface CsvRowError {
  line: number;
  message: string;
  /** The record's text, for the record error's raw value. */
  text: string;
}

export type CsvItem = { row: CsvRow } | { error: CsvRowError };

export interface ReadCsvOptions {
  fileName: string;
  /** Columns the header must have; a missing one fails the whole file (nothing is half-read). */
  requiredColumns: readonly string[];
  maxRecordChars?: number;
  /** Columns never copied into a row (users.csv `password`: it must not reach staging or logs). */
  dropColumns?: readonly string[];
  signal?: AbortSignal;
}

const PARSE_CONFIG: Papa.ParseConfig = { delimiter: ",", newline: "\n", quoteChar: '"', escapeChar: '"', header: false, skipEmptyLines: false };

function parseRecords(records: RawRecord[]): { fields: string[] | null; error?: string }[] {
  const joined = Papa.parse<string[]>(records.map((r) => r.text).join("\n"), PARSE_CONFIG);
  if (joined.data.length === records.length && joined.errors.length === 0) return joined.data.map((fields) => ({ fields }));
  // Quoting papaparse reads differently from the splitter (a stray quote): parse record by record
  // so one broken row cannot shift the line numbers of the rows around it.
  return records.map((r) => {
    const one = Papa.parse<string[]>(r.text, PARSE_CONFIG);
    if (one.errors.length > 0 || one.data.length !== 1) {
      return { fields: null, error: one.errors[0]?.message ?? "the row is not valid CSV (broken quoting)" };
    }
    return { fields: one.data[0] };
  });
}

/**
 * Streams one OneRoster CSV file as batches of rows keyed by the header's column names.
 * Headers are exact (OneRoster 1.1 §4.1: case-sensitive); unknown extra columns are kept in the
 * row but nothing reads them. Throws `BAD_FILE` for a missing header or required column.
 */
export async function* readCsv(stream: Readable, options: ReadCsvOptions): AsyncGenerator<CsvItem[], void, void> {
  const { fileName } = options;
  let header: string[] | null = null;
  let keep: number[] = [];
  try {
    for await (const records of splitCsvRecords(stream, { fileName, maxRecordChars: options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS, signal: options.signal })) {
      let batch = records;
      if (header === null) {
        const first = parseRecords([batch[0]])[0];
        if (!first.fields) throw new ConnectorError("BAD_FILE", `${fileName} line ${batch[0].line}: the header row is not valid CSV`);
        header = first.fields.map((h) => h.trim());
        for (const column of options.requiredColumns) {
          if (!header.includes(column)) throw new ConnectorError("BAD_FILE", `${fileName} is missing required column '${column}'`);
        }
        const drop = new Set(options.dropColumns ?? []);
        keep = header.flatMap((h, i) => (drop.has(h) ? [] : [i]));
        batch = batch.slice(1);
        if (batch.length === 0) continue;
      }
      const parsed = parseRecords(batch);
      const items: CsvItem[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const { fields, error } = parsed[i];
        const { line, text } = batch[i];
        if (!fields) {
          items[i] = { error: { line, text, message: error ?? "the row is not valid CSV" } };
        } else if (fields.length !== header.length) {
          items[i] = { error: { line, text, message: `the row has ${fields.length} fields but the header has ${header.length}` } };
        } else {
          const values: Record<string, string> = {};
          for (const c of keep) values[header[c]] = fields[c];
          items[i] = { row: { line, values } };
        }
      }
      yield items;
    }
  } finally {
    stream.destroy();
  }
  if (header === null) throw new ConnectorError("BAD_FILE", `${fileName} is empty: the OneRoster header row is missing`);
}
