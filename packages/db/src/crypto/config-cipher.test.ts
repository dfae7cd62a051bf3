import { randomBytes } from "node:crypto";
import { ConfigCipher } from "./config-cipher";

const k = (id: string) => ({ id, key: randomBytes(32) });

describe("ConfigCipher", () => {
  it("round-trips a config without the clear text in the envelope", () => {
    const c = new ConfigCipher([k("a")]);
    const env = c.encrypt({ clientSecret: "very-secret-value" }, "prov-1");
    expect(env).not.toContain("very-secret-value");
    expect(env.startsWith("v1.a.")).toBe(true);
    expect(c.decrypt(env, "prov-1")).toEqual({ clientSecret: "very-secret-value" });
  });

  it("refuses a value moved to another provider row", () => {
    const c = new ConfigCipher([k("a")]);
    expect(() => c.decrypt(c.encrypt({ x: 1 }, "prov-1"), "prov-2")).toThrow();
  });

  it("decrypts with old keys and encrypts with the newest", () => {
    const old = k("old");
    const before = new ConfigCipher([old]).encrypt({ x: 1 }, "p");
    const rotated = new ConfigCipher([old, k("new")]);
    expect(rotated.decrypt(before, "p")).toEqual({ x: 1 });
    expect(rotated.keyIdOf(rotated.encrypt({ x: 1 }, "p"))).toBe("new");
    expect(() => new ConfigCipher([k("other")]).decrypt(before, "p")).toThrow(/key "old"/);
  });
});
