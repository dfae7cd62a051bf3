import { Router, type Response } from "express";
import type { ConfigCipher, Database } from "@sis-sync/db";
import { assertTenantResource, assertTenantRoute, authOf } from "../auth/auth.middleware";
import { notFound } from "../errors/http-errors";
import { parseBody, parseQuery } from "../http/validate";
import { findLastFinishedRun, findLiveRun, findProvider, listProviders, listRuns } from "./provider.queries";
import { createProviderBodySchema, pageQuerySchema, triggerSyncBodySchema, updateProviderBodySchema, uuidParam } from "./provider.schemas";
import type { ProviderService } from "./provider.service";
import { providerView, runView } from "./provider-view";

export function providersRouter(db: Database, cipher: ConfigCipher, service: ProviderService): Router {
  const router = Router();

  /** Loads a live provider the caller may see; anything else is 404. */
  async function loadProvider(res: Response, id: string) {
    const row = uuidParam.safeParse(id).success ? await findProvider(db, id) : undefined;
    if (!row) throw notFound("Provider");
    assertTenantResource(authOf(res), row.tenantId, "Provider");
    return row;
  }

  router.get("/tenants/:tenantId/providers", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const { limit, offset } = parseQuery(pageQuerySchema, req.query);
    const { rows, total } = await listProviders(db, req.params.tenantId, limit, offset);
    res.json({ data: rows.map((r) => providerView(r, cipher)), total, limit, offset });
  });

  router.post("/providers", async (req, res) => {
    const body = parseBody(createProviderBodySchema, req.body);
    assertTenantRoute(authOf(res), body.tenantId);
    res.status(201).json(providerView(await service.create(body), cipher));
  });

  router.get("/providers/:providerId", async (req, res) => {
    res.json(providerView(await loadProvider(res, req.params.providerId), cipher));
  });

  router.patch("/providers/:providerId", async (req, res) => {
    const current = await loadProvider(res, req.params.providerId);
    const body = parseBody(updateProviderBodySchema, req.body);
    res.json(providerView(await service.update(current, body), cipher));
  });

  router.delete("/providers/:providerId", async (req, res) => {
    await service.remove(await loadProvider(res, req.params.providerId));
    res.status(204).end();
  });

  router.post("/providers/:providerId/test", async (req, res) => {
    res.json(await service.test(await loadProvider(res, req.params.providerId)));
  });

  router.post("/providers/:providerId/sync", async (req, res) => {
    const row = await loadProvider(res, req.params.providerId);
    const body = parseBody(triggerSyncBodySchema, req.body ?? {});
    res.status(202).json(await service.triggerSync(row, body));
  });

  router.post("/providers/:providerId/sync/cancel", async (req, res) => {
    const row = await loadProvider(res, req.params.providerId);
    res.status(202).json(await service.cancel(row.id));
  });

  router.get("/providers/:providerId/sync/status", async (req, res) => {
    const row = await loadProvider(res, req.params.providerId);
    const [live, last] = await Promise.all([findLiveRun(db, row.id), findLastFinishedRun(db, row.id)]);
    res.json({
      isRunning: !!live,
      lastSync: row.lastSyncAt ? row.lastSyncAt.toISOString() : null,
      lastStatus: last?.status ?? null,
      ...(live ? { currentRun: { id: live.id, status: live.status, phase: live.phase, progress: live.progress } } : {}),
    });
  });

  router.get("/providers/:providerId/runs", async (req, res) => {
    const row = await loadProvider(res, req.params.providerId);
    const { limit, offset } = parseQuery(pageQuerySchema, req.query);
    const { rows, total } = await listRuns(db, row.id, limit, offset);
    res.json({ data: rows.map(runView), total, limit, offset });
  });

  return router;
}
