import { z } from "zod";

/** The seed's four SIS kinds (api.md "Providers"). */
export const PROVIDER_TYPES = ["CLEVER", "CLASSLINK", "ONEROSTER_API", "ONEROSTER_CSV"] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const nonEmpty = z.string().trim().min(1);
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });

export const cleverConfigSchema = z.strictObject({
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  districtId: nonEmpty,
  accessToken: nonEmpty.optional(),
  baseUrl: httpUrl.optional(),
  tokenUrl: httpUrl.optional(),
});
export type CleverConfig = z.infer<typeof cleverConfigSchema>;

export const classLinkConfigSchema = z.strictObject({
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  tenantId: nonEmpty,
  baseUrl: httpUrl.optional(),
});
export type ClassLinkConfig = z.infer<typeof classLinkConfigSchema>;

export const oneRosterApiConfigSchema = z.strictObject({
  baseUrl: httpUrl,
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  auth: z.enum(["oauth1", "oauth2"]).optional(),
  tokenUrl: httpUrl.optional(),
});
export type OneRosterApiConfig = z.infer<typeof oneRosterApiConfigSchema>;

const hostKeySha256 = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be the key fingerprint as `ssh-keygen -lf` prints it: "SHA256:<43 base64 chars>"');

export const oneRosterCsvConfigSchema = z.strictObject({
  sftp: z
    .strictObject({
      host: nonEmpty,
      port: z.number().int().min(1).max(65535).optional(),
      username: nonEmpty,
      privateKeyPath: nonEmpty.optional(),
      privateKey: nonEmpty.optional(),
      password: nonEmpty.optional(),
      hostKeySha256: hostKeySha256.optional(),
    })
    .refine((s) => [s.privateKeyPath, s.privateKey, s.password].filter(Boolean).length === 1, {
      message: "give exactly one of privateKeyPath, privateKey or password",
    }),
  remotePath: z.string().regex(/^\//, "must be an absolute path"),
  /** issue #9: where the source drops delta exports (manifest `file.*` = delta); incremental runs read it. */
  deltaPath: z.string().regex(/^\//, "must be an absolute path").optional(),
});
export type OneRosterCsvConfig = z.infer<typeof oneRosterCsvConfigSchema>;

export const providerConfigSchemas = {
  CLEVER: cleverConfigSchema,
  CLASSLINK: classLinkConfigSchema,
  ONEROSTER_API: oneRosterApiConfigSchema,
  ONEROSTER_CSV: oneRosterCsvConfigSchema,
} as const;

export type ProviderConfigByType = {
  CLEVER: CleverConfig;
  CLASSLINK: ClassLinkConfig;
  ONEROSTER_API: OneRosterApiConfig;
  ONEROSTER_CSV: OneRosterCsvConfig;
};

/** Config keys that hold secrets: write-only in the API, never logged. */
export const SECRET_CONFIG_KEYS = ["clientSecret", "accessToken", "privateKey", "password"] as const;

export const providerOptionsSchema = z.strictObject({
  createUsers: z.boolean().default(true),
  maxDeactivationRatio: z.number().min(0).max(1).default(0.2),
  /** issue #9: `incremental` reads only what changed since the last successful run (a full reconcile still runs every `fullSyncEvery` days). */
  syncMode: z.enum(["full", "incremental"]).default("full"),
  fullSyncEvery: z.number().positive().max(365).default(7),
});
export type ProviderOptions = z.infer<typeof providerOptionsSchema>;
