import { MASK, mergeConfig, redactConfig } from "./provider-secrets";

describe("provider secrets", () => {
  it("masks every secret field, nested too", () => {
    expect(redactConfig({ clientId: "id", clientSecret: "s", sftp: { host: "h", password: "p", privateKey: "k" } })).toEqual({
      clientId: "id",
      clientSecret: MASK,
      sftp: { host: "h", password: MASK, privateKey: MASK },
    });
  });
  it("keeps stored secrets when the patch sends the mask or omits them", () => {
    const stored = { clientId: "a", clientSecret: "keep", sftp: { host: "h", password: "pw" } };
    expect(mergeConfig(stored, { clientId: "b", clientSecret: MASK, sftp: { host: "h2" } })).toEqual({ clientId: "b", clientSecret: "keep", sftp: { host: "h2", password: "pw" } });
    expect(mergeConfig(stored, { clientSecret: "new" }).clientSecret).toBe("new");
  });
});
