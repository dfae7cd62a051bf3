import { Router } from "express";
import { sql } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Database } from "@sis-sync/db";
import type { Registry } from "prom-client";

export function healthRouter(db: Database, redis: Redis, registry: Registry): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, r) => setTimeout(() => r(new Error("timeout")), 2_000))]);
    const [pg, rd] = await Promise.allSettled([timeout(db.execute(sql`select 1`)), timeout(redis.ping())]);
    const checks = { postgres: pg.status === "fulfilled" ? "ok" : "down", redis: rd.status === "fulfilled" ? "ok" : "down" };
    res.status(checks.postgres === "ok" && checks.redis === "ok" ? 200 : 503).json({ status: checks.postgres === "ok" && checks.redis === "ok" ? "ready" : "not ready", checks });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
