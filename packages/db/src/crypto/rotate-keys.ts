import { eq } from "drizzle-orm";
import type { Database } from "../client";
import { sisProviders } from "../schema";
import type { ConfigCipher } from "./config-cipher";

/**
 * Re-encrypts every provider config not yet under the cipher's newest key, one row per
 * transaction with a row lock, so it is safe while the service runs and can be re-run.
 */
export async function rotateConfigKeys(db: Database, cipher: ConfigCipher): Promise<{ rotated: number; alreadyCurrent: number }> {
  const rows = await db.select({ id: sisProviders.id, configEncrypted: sisProviders.configEncrypted }).from(sisProviders);
  let rotated = 0;
  for (const { id } of rows) {
    const changed = await db.transaction(async (tx) => {
      const [row] = await tx.select({ configEncrypted: sisProviders.configEncrypted }).from(sisProviders).where(eq(sisProviders.id, id)).for("update");
      if (!row || cipher.keyIdOf(row.configEncrypted) === cipher.currentKeyId) return false;
      await tx.update(sisProviders).set({ configEncrypted: cipher.encrypt(cipher.decrypt(row.configEncrypted, id), id) }).where(eq(sisProviders.id, id));
      return true;
    });
    if (changed) rotated++;
  }
  return { rotated, alreadyCurrent: rows.length - rotated };
}
