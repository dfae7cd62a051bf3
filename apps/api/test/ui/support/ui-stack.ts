import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@sis-sync/config";
import { ConfigCipher } from "@sis-sync/db";
import { createTestDatabase } from "@sis-sync/db/src/testing";
import { createLogger } from "@sis-sync/logger";
import { createRedis, SyncProducer, waitForRedis } from "@sis-sync/queue";
import { startSyncWorker } from "../../../../worker/src";
import { createApp } from "../../../src/app";
import { createTokenVerifier } from "../../../src/auth/jwt-verifier";
import { mintToken } from "../../../src/auth/mint-token";

export interface UiStack {
  baseUrl: string;
  mintToken(claims: { roles: string[]; tenantId?: string; sub?: string }): Promise<string>;
  close(): Promise<void>;
}

/** API + in-process worker on a fresh database and Redis prefix (stop-gap until the shared harness). */
export async function startUiStack(env: Record<string, string> = {}): Promise<UiStack> {
  const db = await createTestDatabase();
  const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const prefix = `sis-ui-${randomBytes(4).toString("hex")}`;
  const secret = randomBytes(32).toString("base64url");
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: mkdtempSync(join(tmpdir(), "sis-ui-")),
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    AUTH_JWT_SECRET: secret,
    SIS_ALLOW_PRIVATE_HOSTS: "true",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    ...env,
  });
  const logger = createLogger({ level: config.LOG_LEVEL, service: "api" });
  const redis = createRedis(redisUrl, "producer");
  await waitForRedis(redis);
  const producer = new SyncProducer(redis, prefix);
  const app = createApp({ config, db: db.db, redis, producer, cipher: new ConfigCipher(config.encryptionKeys), logger, verifyToken: createTokenVerifier(config) });
  const worker = await startSyncWorker({ config, logger, databaseUrl: db.url, redisUrl });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(Number(env.PORT ?? 0), "127.0.0.1", () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    mintToken: (claims) => mintToken({ secret, sub: claims.sub ?? "ui-test", roles: claims.roles, tenantId: claims.tenantId }),
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await worker.close(2_000).catch(() => undefined);
      await producer.close().catch(() => undefined);
      redis.disconnect();
      await db.drop();
    },
  };
}
