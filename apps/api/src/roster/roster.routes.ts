import { Router } from "express";
import { z } from "zod";
import type { Database } from "@sis-sync/db";
import { ENTITY_KINDS } from "@sis-sync/roster";
import { listRosterEntities } from "@sis-sync/sync-engine";
import { assertTenantRoute, authOf } from "../auth/auth.middleware";
import { parseQuery } from "../http/validate";
import { pageQuerySchema } from "../providers/provider.schemas";

export const rosterQuerySchema = pageQuerySchema.extend({
  status: z.enum(["active", "inactive"]).optional(),
  providerId: z.uuid().optional(),
  externalId: z.string().min(1).max(256).optional(),
  email: z.string().min(1).max(320).optional(),
  role: z.string().min(1).max(40).optional(),
});

/** Roster read routes (api.md "Roster"): what syncs produced, per tenant. */
export function rosterRouter(db: Database): Router {
  const router = Router();
  for (const kind of ENTITY_KINDS) {
    router.get(`/tenants/:tenantId/${kind}`, async (req, res) => {
      assertTenantRoute(authOf(res), req.params.tenantId);
      const q = parseQuery(rosterQuerySchema, req.query);
      const { data, total } = await listRosterEntities(db, kind, { ...q, tenantId: req.params.tenantId });
      res.json({ data, total, limit: q.limit, offset: q.offset });
    });
  }
  return router;
}
