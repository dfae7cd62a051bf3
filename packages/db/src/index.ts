export * from "./schema";
export { createDb, type Database, type DbHandle, type Executor } from "./client";
export { runMigrations, migrationsFolder } from "./migrate";
export { ConfigCipher, type CipherKey } from "./crypto/config-cipher";
export { rotateConfigKeys } from "./crypto/rotate-keys";
