import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./load-config";

const key = (id: string) => `${id}:${Buffer.alloc(32, 7).toString("base64")}`;
const tmp = () => mkdtempSync(join(tmpdir(), "cfg-"));

describe("loadConfig", () => {
  it("applies the seed's defaults", () => {
    const c = loadConfig({ DATA_DIR: tmp() });
    expect(c.PORT).toBe(3000);
    expect(c.HOST).toBe("0.0.0.0");
    expect(c.MAX_CONCURRENT_SYNCS).toBe(2);
    expect(c.SYNC_LOCK_TIMEOUT).toBe(1_800_000);
  });

  it("names the variable when a value is bad", () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), MAX_CONCURRENT_SYNCS: "lots" })).toThrow(/MAX_CONCURRENT_SYNCS/);
    expect(() => loadConfig({ DATA_DIR: tmp(), DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATA_DIR: tmp(), CONFIG_ENCRYPTION_KEYS: "k1:short" })).toThrow(/CONFIG_ENCRYPTION_KEYS/);
  });

  it("treats blank strings as unset and parses booleans strictly", () => {
    const c = loadConfig({ DATA_DIR: tmp(), PORT: "", SIS_ALLOW_PRIVATE_HOSTS: "false", EMBEDDED_WORKER: "1" });
    expect(c.PORT).toBe(3000);
    expect(c.SIS_ALLOW_PRIVATE_HOSTS).toBe(false);
    expect(c.EMBEDDED_WORKER).toBe(true);
  });

  it("keeps the change feed 30 days unless told otherwise, 0 meaning forever", () => {
    expect(loadConfig({ DATA_DIR: tmp() }).CHANGE_FEED_RETENTION_DAYS).toBe(30);
    expect(loadConfig({ DATA_DIR: tmp(), CHANGE_FEED_RETENTION_DAYS: "" }).CHANGE_FEED_RETENTION_DAYS).toBe(30);
    expect(loadConfig({ DATA_DIR: tmp(), CHANGE_FEED_RETENTION_DAYS: "90" }).CHANGE_FEED_RETENTION_DAYS).toBe(90);
    expect(loadConfig({ DATA_DIR: tmp(), CHANGE_FEED_RETENTION_DAYS: "0" }).CHANGE_FEED_RETENTION_DAYS).toBe(0);
  });

  it("refuses a change feed retention that is not a whole number of days, naming the variable", () => {
    for (const bad of ["-1", "1.5", "30d", "forever", "36501"]) {
      expect(() => loadConfig({ DATA_DIR: tmp(), CHANGE_FEED_RETENTION_DAYS: bad })).toThrow(/CHANGE_FEED_RETENTION_DAYS/);
    }
  });

  it("refuses to start in production without secrets", () => {
    expect(() => loadConfig({ NODE_ENV: "production", DATA_DIR: tmp() })).toThrow(/CONFIG_ENCRYPTION_KEYS.*AUTH_JWT_SECRET/);
  });

  it("generates and then reuses development secrets under the data dir", () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.notices.join()).toMatch(/Generated a development secret/);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.notices).toHaveLength(0);
    expect(second.AUTH_JWT_SECRET).toBe(first.AUTH_JWT_SECRET);
    expect(second.encryptionKeys[0].key.equals(first.encryptionKeys[0].key)).toBe(true);
    expect(readFileSync(join(dir, "jwt-secret"), "utf8").trim()).toBe(first.AUTH_JWT_SECRET);
  });

  it("keeps several encryption keys in order, newest last", () => {
    const c = loadConfig({ DATA_DIR: tmp(), CONFIG_ENCRYPTION_KEYS: `${key("old")},${key("new")}` });
    expect(c.encryptionKeys.map((k) => k.id)).toEqual(["old", "new"]);
  });
});
