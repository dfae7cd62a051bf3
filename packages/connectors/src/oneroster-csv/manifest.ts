import { ConnectorError } from "@sis-sync/roster";
import { readCsv } from "./csv-reader";
import type { CsvSource } from "./csv-source";
import { MANIFEST_FILE, ONEROSTER_FILES, type OneRosterFileKey } from "./oneroster-csv-files";

export type FileMode = "bulk" | "delta" | "absent";

export interface OneRosterManifest {
  /** Mode per file the connector reads. A missing `file.*` row is `absent` (ClassLink omits rows, §4.2). */
  modes: Record<OneRosterFileKey, FileMode>;
  /** Every property as written, for logs (`oneroster.version`, `source.systemName`, …). */
  properties: Record<string, string>;
}

const MODES = new Set<FileMode>(["bulk", "delta", "absent"]);
/** A manifest is a few dozen short rows; anything bigger is not a manifest. */
const MAX_MANIFEST_RECORD_CHARS = 64 * 1024;

/** Reads `manifest.csv` (header `propertyName,value`, §4.2). */
export async function readManifest(source: CsvSource, signal?: AbortSignal): Promise<OneRosterManifest> {
  if (!source.has(MANIFEST_FILE)) {
    throw new ConnectorError("BAD_FILE", `${source.location} has no ${MANIFEST_FILE}: without it bulk and delta files cannot be told apart`);
  }
  const properties: Record<string, string> = {};
  const stream = await source.open(MANIFEST_FILE);
  for await (const items of readCsv(stream, { fileName: MANIFEST_FILE, requiredColumns: ["propertyName", "value"], maxRecordChars: MAX_MANIFEST_RECORD_CHARS, signal })) {
    for (const item of items) {
      if ("error" in item) throw new ConnectorError("BAD_FILE", `${MANIFEST_FILE} line ${item.error.line}: ${item.error.message}`);
      properties[item.row.values.propertyName.trim()] = item.row.values.value.trim();
    }
  }
  const version = properties["oneroster.version"];
  if (version !== undefined && !/^1\.1(\.\d+)?$/.test(version)) {
    throw new ConnectorError("BAD_FILE", `${MANIFEST_FILE} says oneroster.version ${version}; this connector reads OneRoster 1.1 CSV`);
  }
  const modes = {} as Record<OneRosterFileKey, FileMode>;
  for (const key of Object.keys(ONEROSTER_FILES) as OneRosterFileKey[]) {
    const raw = (properties[`file.${key}`] ?? "absent").toLowerCase();
    if (!MODES.has(raw as FileMode)) {
      throw new ConnectorError("BAD_FILE", `${MANIFEST_FILE}: file.${key} is '${raw}'; expected absent, bulk or delta`);
    }
    const mode = raw as FileMode;
    if (mode !== "absent" && !source.has(ONEROSTER_FILES[key].fileName)) {
      throw new ConnectorError("BAD_FILE", `${MANIFEST_FILE} lists ${ONEROSTER_FILES[key].fileName} as ${mode} but the export has no such file`);
    }
    modes[key] = mode;
  }
  return { modes, properties };
}

/** "bulk", "delta", or "mixed" for messages. */
export function describeModes(manifest: OneRosterManifest): string {
  const used = new Set(Object.values(manifest.modes).filter((m) => m !== "absent"));
  if (used.size === 0) return "no files";
  return used.size === 1 ? [...used][0] : "mixed bulk/delta";
}
