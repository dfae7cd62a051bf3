import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export interface CipherKey {
  id: string;
  key: Buffer;
}

/**
 * Provider configs at rest: AES-256-GCM, `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url).
 * The key id travels with each value so keys can rotate; the provider id is bound in as
 * additional data, so a ciphertext copied onto another provider's row does not decrypt.
 */
export class ConfigCipher {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CipherKey;

  constructor(keys: CipherKey[]) {
    if (keys.length === 0) throw new Error("ConfigCipher needs at least one key");
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.current = keys[keys.length - 1];
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(value: unknown, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return ["v1", this.current.id, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
  }

  decrypt<T = unknown>(envelope: string, boundTo: string): T {
    const [version, keyId, iv, tag, body] = envelope.split(".");
    if (version !== "v1" || !keyId || !iv || !tag || body === undefined) throw new Error("Encrypted config has an unknown format");
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`Encrypted config uses key "${keyId}", which is not in CONFIG_ENCRYPTION_KEYS`);
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const clear = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
    return JSON.parse(clear.toString("utf8")) as T;
  }

  keyIdOf(envelope: string): string | undefined {
    return envelope.split(".")[1];
  }
}
