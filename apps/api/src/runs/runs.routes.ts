import { Router, type Response } from "express";
import type { Database } from "@sis-sync/db";
import { assertTenantResource, authOf } from "../auth/auth.middleware";
import { notFound } from "../errors/http-errors";
import { parseQuery } from "../http/validate";
import { findRun, listRunErrors } from "../providers/provider.queries";
import { pageQuerySchema, uuidParam } from "../providers/provider.schemas";
import { runView } from "../providers/provider-view";

export function runsRouter(db: Database): Router {
  const router = Router();

  async function loadRun(res: Response, id: string) {
    const run = uuidParam.safeParse(id).success ? await findRun(db, id) : undefined;
    if (!run) throw notFound("Run");
    assertTenantResource(authOf(res), run.tenantId, "Run");
    return run;
  }

  router.get("/runs/:runId", async (req, res) => {
    res.json(runView(await loadRun(res, req.params.runId)));
  });

  router.get("/runs/:runId/errors", async (req, res) => {
    const run = await loadRun(res, req.params.runId);
    const { limit, offset } = parseQuery(pageQuerySchema, req.query);
    const { rows, total } = await listRunErrors(db, run.id, limit, offset);
    res.json({ data: rows, total, limit, offset });
  });

  return router;
}
