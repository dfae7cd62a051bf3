import type { SisConnector } from "@sis-sync/roster";
import { ConnectorError } from "@sis-sync/roster";
import type { ConnectorDeps } from "./connector-deps";
import { providerConfigSchemas, type ProviderConfigByType, type ProviderType } from "./provider-config";
import { createOneRosterCsvConnector } from "./oneroster-csv";
import { createCleverConnector } from "./clever";
import { createOneRosterApiConnector } from "./oneroster-rest";
import { createClassLinkConnector } from "./classlink";

/**
 * Builds the connector for a provider from its (decrypted) config. The config is re-validated
 * here so a connector never sees a shape the API would have refused.
 */
export function createConnector(providerType: ProviderType, rawConfig: unknown, deps: ConnectorDeps): SisConnector {
  const parsed = providerConfigSchemas[providerType].safeParse(rawConfig);
  if (!parsed.success) {
    throw new ConnectorError("CONFIG", `Provider config is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  switch (providerType) {
    // Each connector folder registers its factory here.
    case "CLEVER":
      return createCleverConnector(parsed.data as ProviderConfigByType["CLEVER"], deps);
    case "ONEROSTER_CSV":
      return createOneRosterCsvConnector(parsed.data as ProviderConfigByType["ONEROSTER_CSV"], deps);
    case "CLASSLINK":
      return createClassLinkConnector(parsed.data as ProviderConfigByType["CLASSLINK"], deps);
    case "ONEROSTER_API":
      return createOneRosterApiConnector(parsed.data as ProviderConfigByType["ONEROSTER_API"], deps);
    default:
      throw new ConnectorError("CONFIG", `Connector for ${providerType} is not available`);
  }
}
