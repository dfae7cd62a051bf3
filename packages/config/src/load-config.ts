import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { envSchema, type Env } from "./env.schema";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface AppConfig extends Omit<Env, "CONFIG_ENCRYPTION_KEYS" | "DATA_DIR"> {
  dataDir: string;
  /** Oldest first; the last one encrypts new values. */
  encryptionKeys: EncryptionKey[];
  /** Notes for the start-up log ("generated a development secret in …"). */
  notices: string[];
}

function parseKeys(value: string): EncryptionKey[] {
  return value.split(",").map((pair, i) => {
    const [id, b64] = pair.trim().split(":");
    const key = b64 ? Buffer.from(b64, "base64") : Buffer.alloc(0);
    if (!id || !/^[A-Za-z0-9_-]+$/.test(id) || key.length !== 32) {
      throw new ConfigError(`CONFIG_ENCRYPTION_KEYS: entry ${i + 1} must be "<keyId>:<base64 of 32 bytes>"`);
    }
    return { id, key };
  });
}

/** A development secret kept under .data/ so restarts keep decrypting what they wrote. */
function devSecret(dataDir: string, file: string, make: () => string, notices: string[]): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(path, value + "\n", { mode: 0o600 });
  notices.push(`Generated a development secret in ${path} (set it explicitly in production)`);
  return value;
}

/** Parses and checks the environment once; a bad value throws naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n  ${lines.join("\n  ")}`);
  }
  const env = parsed.data;
  const notices: string[] = [];
  const dataDir = resolve(env.DATA_DIR);
  const production = env.NODE_ENV === "production";

  let keys = env.CONFIG_ENCRYPTION_KEYS;
  let jwtSecret = env.AUTH_JWT_SECRET;
  if (production) {
    const missing = [
      !keys && "CONFIG_ENCRYPTION_KEYS",
      !jwtSecret && !env.AUTH_JWKS_URL && "AUTH_JWT_SECRET or AUTH_JWKS_URL",
      !env.DATABASE_URL && "DATABASE_URL",
      !env.REDIS_URL && "REDIS_URL",
    ].filter(Boolean);
    if (missing.length) throw new ConfigError(`Missing in production: ${missing.join(", ")}`);
  } else {
    keys ??= devSecret(dataDir, "encryption-key", () => `dev1:${randomBytes(32).toString("base64")}`, notices);
    if (!env.AUTH_JWKS_URL) jwtSecret ??= devSecret(dataDir, "jwt-secret", () => randomBytes(32).toString("base64url"), notices);
  }
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError("AUTH_JWT_SECRET: must be at least 32 characters");
  }

  const { CONFIG_ENCRYPTION_KEYS: _k, DATA_DIR: _d, ...rest } = env;
  return { ...rest, AUTH_JWT_SECRET: jwtSecret, dataDir, encryptionKeys: parseKeys(keys!), notices };
}
