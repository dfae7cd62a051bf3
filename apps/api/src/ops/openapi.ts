import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { createProviderBodySchema, pageQuerySchema, triggerSyncBodySchema, updateProviderBodySchema } from "../providers/provider.schemas";
import { changeFeedQuerySchema, runChangesQuerySchema } from "../changes/changes.routes";
import { createWebhookBodySchema, deliveriesQuerySchema } from "../webhooks/webhooks.routes";

const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string(), errors: z.array(z.object({ path: z.string(), message: z.string() })).optional() });
const kindStats = z.object({ created: z.number(), updated: z.number(), deactivated: z.number(), unchanged: z.number(), errors: z.number() });
const run = z.object({
  id: z.uuid(),
  providerId: z.uuid(),
  status: z.enum(["PENDING", "IN_PROGRESS", "SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"]),
  isManual: z.boolean(),
  dryRun: z.boolean(),
  phase: z.enum(["extract", "stage", "load", "done"]).nullable(),
  progress: z.record(z.string(), z.number()),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  stats: z.object({ schools: kindStats, classes: kindStats, users: kindStats, enrollments: kindStats }).nullable(),
  errorMessage: z.string().nullable(),
  mode: z.enum(["auto", "full", "incremental"]).describe("auto until a worker claims the run and decides (issue #9)"),
  notes: z.string().nullable().describe("e.g. why an incremental run was full"),
});
const change = z.object({
  id: z.string().describe("opaque feed position; pass as after= to read what follows"),
  runId: z.uuid(),
  providerId: z.uuid(),
  kind: z.enum(["schools", "classes", "users", "enrollments"]),
  action: z.enum(["created", "updated", "deactivated", "reactivated"]),
  entityId: z.uuid(),
  externalId: z.string().nullable(),
  changedFields: z.array(z.string()).nullable(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
});
const webhook = z.object({ id: z.uuid(), tenantId: z.string(), url: z.string(), kinds: z.array(z.string()), createdAt: z.string() });
const delivery = z.object({
  id: z.uuid(),
  webhookId: z.uuid(),
  status: z.enum(["PENDING", "DELIVERED", "DEAD"]),
  changeCount: z.number(),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
const provider = z.object({
  id: z.uuid(),
  tenantId: z.string(),
  providerType: z.enum(["CLEVER", "CLASSLINK", "ONEROSTER_API", "ONEROSTER_CSV"]),
  name: z.string(),
  enabled: z.boolean(),
  syncSchedule: z.string().nullable(),
  syncTimezone: z.string(),
  nextSyncAt: z.string().nullable(),
  lastSyncAt: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).describe("secrets are returned as ********"),
  options: z.object({ createUsers: z.boolean(), maxDeactivationRatio: z.number(), syncMode: z.enum(["full", "incremental"]), fullSyncEvery: z.number().describe("days") }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const list = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), total: z.number(), limit: z.number(), offset: z.number() });
const rosterEntity = z.object({ id: z.uuid(), tenantId: z.string(), status: z.enum(["active", "inactive"]), sources: z.array(z.object({ providerId: z.uuid(), externalId: z.string() })), updatedAt: z.string() }).catchall(z.unknown());

const json = <T extends z.ZodType>(schema: T, description = "OK") => ({ description, content: { "application/json": { schema } } });
const errors = { 400: json(problem, "Bad request"), 401: json(problem, "Unauthorized"), 403: json(problem, "Forbidden"), 404: json(problem, "Not found"), 422: json(problem, "Rule broken") };

/** OpenAPI 3.1 generated from the same zod schemas the routes validate with. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  const providerId = z.object({ providerId: z.uuid() });
  const tenantId = z.object({ tenantId: z.string() });
  const add = (method: "get" | "post" | "patch" | "delete", path: string, summary: string, spec: Record<string, unknown>) =>
    registry.registerPath({ method, path, summary, security: [{ bearer: [] }], ...spec } as never);

  add("get", "/api/v1/tenants/{tenantId}/providers", "List a tenant's providers", { request: { params: tenantId, query: pageQuerySchema }, responses: { 200: json(list(provider)), ...errors } });
  add("post", "/api/v1/providers", "Create a provider", { request: { body: { content: { "application/json": { schema: createProviderBodySchema } } } }, responses: { 201: json(provider, "Created"), ...errors } });
  add("get", "/api/v1/providers/{providerId}", "Get a provider", { request: { params: providerId }, responses: { 200: json(provider), ...errors } });
  add("patch", "/api/v1/providers/{providerId}", "Update a provider (config is merged; ******** keeps a secret)", { request: { params: providerId, body: { content: { "application/json": { schema: updateProviderBodySchema } } } }, responses: { 200: json(provider), ...errors } });
  add("delete", "/api/v1/providers/{providerId}", "Delete a provider (keeps history and roster)", { request: { params: providerId }, responses: { 204: { description: "Deleted" }, ...errors } });
  add("post", "/api/v1/providers/{providerId}/test", "Test the connection", { request: { params: providerId }, responses: { 200: json(z.object({ success: z.boolean(), message: z.string() })), ...errors } });
  add("post", "/api/v1/providers/{providerId}/sync", "Run a sync now", { request: { params: providerId, body: { content: { "application/json": { schema: triggerSyncBodySchema } } } }, responses: { 202: json(z.object({ runId: z.uuid(), status: z.literal("PENDING") }), "Queued"), 409: json(problem, "A run is live"), ...errors } });
  add("post", "/api/v1/providers/{providerId}/sync/cancel", "Cancel the live sync", { request: { params: providerId }, responses: { 202: json(z.object({ runId: z.uuid(), status: z.string() }), "Cancelling"), 409: json(problem, "Nothing runs"), ...errors } });
  add("get", "/api/v1/providers/{providerId}/sync/status", "Sync status", { request: { params: providerId }, responses: { 200: json(z.object({ isRunning: z.boolean(), lastSync: z.string().nullable(), lastStatus: z.string().nullable(), currentRun: z.object({ id: z.uuid(), status: z.string(), phase: z.string().nullable(), progress: z.record(z.string(), z.number()) }).optional() })), ...errors } });
  add("get", "/api/v1/providers/{providerId}/runs", "Sync history, newest first", { request: { params: providerId, query: pageQuerySchema }, responses: { 200: json(list(run)), ...errors } });
  add("get", "/api/v1/runs/{runId}", "A run", { request: { params: z.object({ runId: z.uuid() }) }, responses: { 200: json(run), ...errors } });
  add("get", "/api/v1/runs/{runId}/errors", "A run's record errors", { request: { params: z.object({ runId: z.uuid() }), query: pageQuerySchema }, responses: { 200: json(list(z.object({ entityType: z.string(), externalId: z.string().nullable(), message: z.string() }))), ...errors } });
  for (const kind of ["schools", "classes", "users", "enrollments"]) {
    add("get", `/api/v1/tenants/{tenantId}/${kind}`, `Roster ${kind}`, {
      request: { params: tenantId, query: pageQuerySchema.extend({ status: z.enum(["active", "inactive"]).optional(), providerId: z.uuid().optional(), externalId: z.string().optional(), email: z.string().optional(), role: z.string().optional() }) },
      responses: { 200: json(list(rosterEntity)), ...errors },
    });
  }
  const webhookId = z.object({ tenantId: z.string(), webhookId: z.uuid() });
  add("get", "/api/v1/tenants/{tenantId}/changes", "The roster change feed, oldest first", {
    request: { params: tenantId, query: changeFeedQuerySchema },
    responses: {
      200: json(z.object({ data: z.array(change), nextCursor: z.string(), hasMore: z.boolean(), limit: z.number() })),
      ...errors,
      410: json(problem.extend({ oldestCursor: z.string().describe("the feed is complete after this position") }), "The cursor is older than the change feed's retention: re-read the roster, then continue from oldestCursor"),
    },
  });
  add("get", "/api/v1/runs/{runId}/changes", "A run's roster changes", { request: { params: z.object({ runId: z.uuid() }), query: runChangesQuerySchema }, responses: { 200: json(list(change)), ...errors } });
  add("post", "/api/v1/tenants/{tenantId}/webhooks", "Register a webhook (the signing secret is returned once, here)", {
    request: { params: tenantId, body: { content: { "application/json": { schema: createWebhookBodySchema } } } },
    responses: { 201: json(webhook.extend({ secret: z.string() }), "Created"), ...errors },
  });
  add("get", "/api/v1/tenants/{tenantId}/webhooks", "A tenant's webhooks", { request: { params: tenantId, query: pageQuerySchema }, responses: { 200: json(list(webhook)), ...errors } });
  add("get", "/api/v1/tenants/{tenantId}/webhooks/{webhookId}", "A webhook", { request: { params: webhookId }, responses: { 200: json(webhook), ...errors } });
  add("delete", "/api/v1/tenants/{tenantId}/webhooks/{webhookId}", "Delete a webhook", { request: { params: webhookId }, responses: { 204: { description: "Deleted" }, ...errors } });
  add("get", "/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries", "A webhook's deliveries (DEAD = dead-lettered)", {
    request: { params: webhookId, query: deliveriesQuerySchema },
    responses: { 200: json(list(delivery)), ...errors },
  });
  add("post", "/api/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", "Send a delivery again (same delivery id)", {
    request: { params: webhookId.extend({ deliveryId: z.uuid() }) },
    responses: { 202: json(delivery, "Queued"), ...errors, 410: json(problem, "The delivery's changes were removed by the change feed's retention") },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "sis-sync", version: "1.0.0", description: "SIS rostering sync service (contract: shared/spec/api.md)" },
    servers: [{ url: "/" }],
  });
}
