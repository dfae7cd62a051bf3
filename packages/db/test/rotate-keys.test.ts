import { randomBytes, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { ConfigCipher, rotateConfigKeys, sisProviders } from "../src";
import { createTestDatabase, type TestDatabase } from "../testing";

describe("key rotation", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(() => tdb.drop());

  it("re-encrypts every config under the newest key and keeps the clear values", async () => {
    const oldKey = { id: "old", key: randomBytes(32) };
    const before = new ConfigCipher([oldKey]);
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      await tdb.db.insert(sisProviders).values({ id, tenantId: "t", providerType: "CLEVER", name: "n", configEncrypted: before.encrypt({ clientSecret: `s-${id}` }, id) });
    }
    const newKey = { id: "new", key: randomBytes(32) };
    const after = new ConfigCipher([oldKey, newKey]);
    expect(await rotateConfigKeys(tdb.db, after)).toEqual({ rotated: 2, alreadyCurrent: 0 });
    expect(await rotateConfigKeys(tdb.db, after)).toEqual({ rotated: 0, alreadyCurrent: 2 });
    for (const id of ids) {
      const [row] = await tdb.db.select().from(sisProviders).where(eq(sisProviders.id, id));
      expect(row.configEncrypted.startsWith("v1.new.")).toBe(true);
      // Readable with the new key alone: the old one can now be retired.
      expect(new ConfigCipher([newKey]).decrypt(row.configEncrypted, id)).toEqual({ clientSecret: `s-${id}` });
    }
  });
});
