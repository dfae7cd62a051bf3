import type { ProviderType } from "./types";

// The config fields per provider type, copied from packages/connectors/src/provider-config.ts
// (the zod schemas there pull zod into the bundle and are the API's to enforce; the UI only needs
// labels, which fields are secret, and which are required). Keep the two in step.

export type FieldKind = "text" | "secret" | "url" | "number" | "select" | "textarea-secret";

export interface FieldDef {
  /** Path inside `config`, dotted for nested objects ("sftp.host"). */
  key: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  placeholder?: string;
  help?: string;
  options?: { value: string; label: string }[];
  /** Shown only when this returns true for the current form values. */
  showIf?: (values: Record<string, string>) => boolean;
  /** Lives in the form only and is never sent (e.g. the SFTP sign-in method). */
  uiOnly?: boolean;
}

export const PROVIDER_LABELS: Record<ProviderType, string> = {
  CLEVER: "Clever",
  CLASSLINK: "ClassLink",
  ONEROSTER_API: "OneRoster API",
  ONEROSTER_CSV: "OneRoster CSV (SFTP)",
};

export const PROVIDER_BLURBS: Record<ProviderType, string> = {
  CLEVER: "Clever Data API v3 with a district app's client credentials.",
  CLASSLINK: "ClassLink Roster Server (OneRoster 1.1) for your ClassLink tenant.",
  ONEROSTER_API: "Any OneRoster 1.1 REST endpoint (OAuth 1.0a signing or OAuth 2 client credentials).",
  ONEROSTER_CSV: "OneRoster CSV files (or a .zip export) picked up from an SFTP server.",
};

const sftpAuthIs = (m: string) => (v: Record<string, string>) => (v["sftp.authMethod"] || "password") === m;

export const PROVIDER_FIELDS: Record<ProviderType, FieldDef[]> = {
  CLEVER: [
    { key: "clientId", label: "Client ID", kind: "text", required: true },
    { key: "clientSecret", label: "Client secret", kind: "secret", required: true },
    { key: "districtId", label: "District ID", kind: "text", required: true },
    { key: "accessToken", label: "District access token", kind: "secret", help: "Optional: without it the service obtains one with the client credentials." },
    { key: "baseUrl", label: "API base URL", kind: "url", placeholder: "https://api.clever.com" },
    { key: "tokenUrl", label: "Token URL", kind: "url", placeholder: "https://clever.com/oauth/tokens" },
  ],
  CLASSLINK: [
    { key: "clientId", label: "Client ID", kind: "text", required: true },
    { key: "clientSecret", label: "Client secret", kind: "secret", required: true },
    { key: "tenantId", label: "ClassLink tenant ID", kind: "text", required: true },
    { key: "baseUrl", label: "Roster Server base URL", kind: "url", placeholder: "https://<district>-vn-v2.rosterserver.com" },
  ],
  ONEROSTER_API: [
    { key: "baseUrl", label: "Base URL", kind: "url", required: true, placeholder: "https://sis.example.org/ims/oneroster/v1p1" },
    { key: "clientId", label: "Client ID (key)", kind: "text", required: true },
    { key: "clientSecret", label: "Client secret", kind: "secret", required: true },
    {
      key: "auth",
      label: "Authentication",
      kind: "select",
      options: [
        { value: "oauth1", label: "OAuth 1.0a (HMAC-SHA256), OneRoster 1.1 default" },
        { value: "oauth2", label: "OAuth 2 client credentials" },
      ],
    },
    { key: "tokenUrl", label: "Token URL", kind: "url", showIf: (v) => v.auth === "oauth2", help: "Only for OAuth 2." },
  ],
  ONEROSTER_CSV: [
    { key: "sftp.host", label: "SFTP host", kind: "text", required: true, placeholder: "sftp.example.org" },
    { key: "sftp.port", label: "SFTP port", kind: "number", placeholder: "22" },
    { key: "sftp.username", label: "SFTP username", kind: "text", required: true },
    {
      key: "sftp.authMethod",
      label: "Sign in with",
      kind: "select",
      uiOnly: true,
      options: [
        { value: "password", label: "Password" },
        { value: "privateKey", label: "Private key (paste)" },
        { value: "privateKeyPath", label: "Private key file on the server" },
      ],
    },
    { key: "sftp.password", label: "SFTP password", kind: "secret", required: true, showIf: sftpAuthIs("password") },
    { key: "sftp.privateKey", label: "Private key (OpenSSH or PEM)", kind: "textarea-secret", required: true, showIf: sftpAuthIs("privateKey") },
    { key: "sftp.privateKeyPath", label: "Private key path", kind: "text", required: true, showIf: sftpAuthIs("privateKeyPath") },
    {
      key: "sftp.hostKeySha256",
      label: "Host key fingerprint",
      kind: "text",
      placeholder: "SHA256:…",
      help: "As `ssh-keygen -lf` prints it. Recommended: the connection is refused if the server's key differs.",
    },
    { key: "remotePath", label: "Remote path", kind: "text", required: true, placeholder: "/exports/oneroster", help: "A folder with the CSV files and manifest.csv, a folder of .zip exports (newest wins), or one .zip file." },
  ],
};

export const MASK = "********";

export function visibleFields(type: ProviderType, values: Record<string, string>): FieldDef[] {
  return PROVIDER_FIELDS[type].filter((f) => !f.showIf || f.showIf(values));
}

/** Form values → the `config` object the API takes. Blank optional fields are left out. */
export function buildConfig(type: ProviderType, values: Record<string, string>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const f of visibleFields(type, values)) {
    if (f.uiOnly) continue;
    const raw = values[f.key] ?? "";
    if (raw.trim() === "") continue;
    const value: unknown = f.kind === "number" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : f.kind === "textarea-secret" ? raw : raw.trim();
    const parts = f.key.split(".");
    let node = config;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = value;
  }
  return config;
}

/** A stored (redacted) config → form values; secrets arrive as "********" and stay so unless replaced. */
export function valuesFromConfig(type: ProviderType, config: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  const get = (path: string): unknown => path.split(".").reduce<unknown>((n, p) => (n && typeof n === "object" ? (n as Record<string, unknown>)[p] : undefined), config);
  for (const f of PROVIDER_FIELDS[type]) {
    if (f.uiOnly) continue;
    const v = get(f.key);
    if (v !== undefined && v !== null) values[f.key] = String(v);
  }
  if (type === "ONEROSTER_CSV") {
    values["sftp.authMethod"] = values["sftp.privateKey"] ? "privateKey" : values["sftp.privateKeyPath"] ? "privateKeyPath" : "password";
  }
  if (type === "ONEROSTER_API" && !values.auth) values.auth = "oauth1";
  return values;
}

export function defaultValues(type: ProviderType): Record<string, string> {
  if (type === "ONEROSTER_CSV") return { "sftp.authMethod": "password" };
  if (type === "ONEROSTER_API") return { auth: "oauth1" };
  return {};
}

/** Config paths as the API names them in `errors[].path` ("config.sftp.host"). */
export function configErrorPaths(type: ProviderType): string[] {
  return PROVIDER_FIELDS[type].filter((f) => !f.uiOnly).map((f) => `config.${f.key}`);
}
