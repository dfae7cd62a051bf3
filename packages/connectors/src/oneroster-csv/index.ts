import type { ConnectorDeps } from "../connector-deps";
import type { OneRosterCsvConfig } from "../provider-config";
import { OneRosterCsvConnector } from "./oneroster-csv-connector";

export { OneRosterCsvConnector, ONEROSTER_CSV_PAGE_SIZE, type OneRosterCsvConnectorOptions, type CsvSourceOpener } from "./oneroster-csv-connector";
export type { CsvSource } from "./csv-source";
export { openLocalFolderSource } from "./local-folder-source";
export { openZipSource, DEFAULT_ZIP_LIMITS, type ZipLimits } from "./zip-source";
export { hostKeyFingerprint } from "./sftp-source";

export function createOneRosterCsvConnector(config: OneRosterCsvConfig, deps: ConnectorDeps): OneRosterCsvConnector {
  return new OneRosterCsvConnector({ config, logger: deps.logger, allowPrivateHosts: deps.allowPrivateHosts });
}
