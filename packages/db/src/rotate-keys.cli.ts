import { loadConfig } from "@sis-sync/config";
import { createDb } from "./client";
import { ConfigCipher } from "./crypto/config-cipher";
import { rotateConfigKeys } from "./crypto/rotate-keys";

// `pnpm keys:rotate`: add the new key last in CONFIG_ENCRYPTION_KEYS, run this, then drop the old key.
async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error("keys:rotate needs DATABASE_URL");
  const db = createDb(config.DATABASE_URL);
  try {
    const cipher = new ConfigCipher(config.encryptionKeys);
    const result = await rotateConfigKeys(db.db, cipher);
    console.log(`Re-encrypted ${result.rotated} provider config(s) under key "${cipher.currentKeyId}"; ${result.alreadyCurrent} already used it.`);
  } finally {
    await db.close();
  }
}
main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
