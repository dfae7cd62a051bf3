import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import helmet from "helmet";
import swaggerUi from "swagger-ui-express";
import type { Redis } from "ioredis";
import type { AppConfig } from "@sis-sync/config";
import type { ConfigCipher, Database } from "@sis-sync/db";
import type { Logger } from "@sis-sync/logger";
import type { SyncProducer } from "@sis-sync/queue";
import { adminUiRouter } from "./admin/admin-ui.static";
import { bullBoardRouter } from "./admin/bull-board";
import { requireAdmin } from "./auth/auth.middleware";
import type { VerifyToken } from "./auth/jwt-verifier";
import { errorHandler, notFoundHandler } from "./errors/error-handler";
import { healthRouter } from "./ops/health.routes";
import { createMetrics } from "./ops/metrics";
import { buildOpenApiDocument } from "./ops/openapi";
import { ProviderService } from "./providers/provider.service";
import { providersRouter } from "./providers/providers.routes";
import { rosterRouter } from "./roster/roster.routes";
import { runsRouter } from "./runs/runs.routes";
import { changesRouter } from "./changes/changes.routes";
import { webhooksRouter } from "./webhooks/webhooks.routes";
import { WebhookProducer } from "@sis-sync/queue";

export interface AppDeps {
  config: AppConfig;
  db: Database;
  redis: Redis;
  producer: SyncProducer;
  cipher: ConfigCipher;
  logger: Logger;
  verifyToken: VerifyToken;
}

export function createApp(deps: AppDeps): Express {
  const { config, db, redis, producer, cipher, logger } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", 1);
  const metrics = createMetrics(db, producer);

  app.use((req, res, next) => {
    const incoming = req.header("x-request-id");
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", requestId);
    res.locals.logger = logger.child({ requestId });
    const started = process.hrtime.bigint();
    res.on("finish", () =>
      (res.locals.logger as Logger).http("request", { method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
    );
    next();
  });
  app.use(metrics.httpMiddleware);
  app.use(healthRouter(db, redis, metrics.registry));

  // Swagger UI and Bull Board ship inline scripts/styles: relax CSP on those routers only.
  const relaxed = helmet({ contentSecurityPolicy: { directives: { "script-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"] } } });
  const openapi = buildOpenApiDocument();
  app.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });
  app.use("/docs", relaxed, swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: "sis-sync API" }));
  app.use(relaxed, bullBoardRouter(producer.queue, deps.verifyToken, config.NODE_ENV === "production"));

  app.use(helmet());
  app.use(adminUiRouter());
  app.get("/", (_req, res) => res.redirect("/integrations/sis/"));

  const service = new ProviderService({
    db,
    cipher,
    producer,
    logger,
    connectorDeps: { logger, redis, redisPrefix: config.REDIS_PREFIX, allowPrivateHosts: config.SIS_ALLOW_PRIVATE_HOSTS, requireHttps: config.NODE_ENV === "production" },
  });
  const api = express.Router();
  api.use(express.json({ limit: config.REQUEST_BODY_LIMIT, strict: true }));
  api.use(requireAdmin(deps.verifyToken));
  api.use(providersRouter(db, cipher, service));
  api.use(runsRouter(db));
  api.use(rosterRouter(db));
  api.use(changesRouter(db));
  api.use(webhooksRouter({ db, cipher, config, producer: new WebhookProducer(redis, config.REDIS_PREFIX) }));
  app.use("/api/v1", api);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
