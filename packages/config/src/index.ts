export { envSchema, type Env } from "./env.schema";
export { loadConfig, ConfigError, type AppConfig, type EncryptionKey } from "./load-config";
