import { PassThrough } from "node:stream";
import { createLogger } from "./logger";
import { redact, REDACTED } from "./redact";

describe("redaction", () => {
  it("replaces secret-looking keys at any depth", () => {
    const out = redact({ config: { clientId: "abc", clientSecret: "s3cr3t", sftp: { password: "pw", privateKey: "k" } }, accessToken: "t" }) as any;
    expect(out.config.clientId).toBe("abc");
    expect(out.config.clientSecret).toBe(REDACTED);
    expect(out.config.sftp.password).toBe(REDACTED);
    expect(out.config.sftp.privateKey).toBe(REDACTED);
    expect(out.accessToken).toBe(REDACTED);
  });

  it("scrubs credentials inside free text", () => {
    const out = redact("GET /x Authorization: Bearer abc.def.ghi and oauth_signature=zzz&x=1") as string;
    expect(out).not.toMatch(/abc\.def\.ghi|zzz/);
    expect(out).toContain("Bearer [REDACTED]");
  });

  it("never prints a secret through the logger", async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on("data", (c) => chunks.push(String(c)));
    const log = createLogger({ service: "t", stream, level: "debug" });
    log.info("token request with Basic dXNlcjpwYXNz", { providerId: "p1", headers: { authorization: "Bearer sekrit" }, err: new Error("password=hunter2") });
    await new Promise((r) => setImmediate(r));
    const line = chunks.join("");
    expect(line).toContain('"providerId":"p1"');
    expect(line).not.toMatch(/dXNlcjpwYXNz|sekrit|hunter2/);
  });
});
