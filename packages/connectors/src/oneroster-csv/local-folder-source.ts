import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { ConnectorError } from "@sis-sync/roster";
import type { CsvSource } from "./csv-source";

/** A folder on local disk holding manifest.csv and the CSVs (unit tests, local imports). */
export async function openLocalFolderSource(folder: string): Promise<CsvSource> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names = entries.filter((e) => e.isFile()).map((e) => e.name);
  const set = new Set(names);
  return {
    location: folder,
    files: () => [...names],
    has: (fileName) => set.has(fileName),
    async open(fileName): Promise<Readable> {
      if (!set.has(fileName)) throw new ConnectorError("BAD_FILE", `${folder} has no ${fileName}`);
      return createReadStream(join(folder, fileName));
    },
    async close() {},
  };
}
