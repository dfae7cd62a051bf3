import { Router } from "express";
import { z } from "zod";
import { CHANGE_ACTIONS, CHANGE_KINDS, type Database } from "@sis-sync/db";
import { changeFeedPrunedThrough, decodeChangeCursor, encodeChangeCursor, listRunChanges, listTenantChanges } from "@sis-sync/sync-engine";
import { assertTenantResource, assertTenantRoute, authOf } from "../auth/auth.middleware";
import { badRequest, gone, notFound } from "../errors/http-errors";
import { parseQuery } from "../http/validate";
import { findRun } from "../providers/provider.queries";
import { pageQuerySchema, uuidParam } from "../providers/provider.schemas";

export const changeFeedQuerySchema = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const runChangesQuerySchema = pageQuerySchema.extend({
  kind: z.enum(CHANGE_KINDS).optional(),
  action: z.enum(CHANGE_ACTIONS).optional(),
});

/**
 * The roster change feed (issue #9). `GET /tenants/:tenantId/changes?after=&limit=` pages through
 * every change in commit order with an opaque cursor (`nextCursor`; poll with it to get what is
 * new); `GET /runs/:runId/changes` lists one run's changes, filterable by kind and action.
 */
export function changesRouter(db: Database): Router {
  const router = Router();

  router.get("/tenants/:tenantId/changes", async (req, res) => {
    assertTenantRoute(authOf(res), req.params.tenantId);
    const q = parseQuery(changeFeedQuerySchema, req.query);
    let afterId = 0;
    if (q.after !== undefined && q.after !== "") {
      const decoded = decodeChangeCursor(q.after);
      if (decoded === null) throw badRequest("after is not a cursor this API returned", [{ path: "after", message: "unknown cursor" }]);
      afterId = decoded;
    }
    const page = await listTenantChanges(db, req.params.tenantId, afterId, q.limit);
    // Read after the page: a prune that removed changes this page should have held has committed
    // by now, so its mark is seen. Reading from the start (no cursor) is never refused.
    if (afterId > 0) {
      const prunedThrough = await changeFeedPrunedThrough(db, req.params.tenantId);
      if (afterId < prunedThrough) {
        throw gone(
          "This cursor points before changes that the change feed's retention has removed, so reading on from it would silently skip them. " +
            `Re-read the roster from the roster routes (GET /api/v1/tenants/${encodeURIComponent(req.params.tenantId)}/schools, /classes, /users, /enrollments), then continue the feed from oldestCursor.`,
          { oldestCursor: encodeChangeCursor(prunedThrough) },
        );
      }
    }
    res.json({ ...page, limit: q.limit });
  });

  router.get("/runs/:runId/changes", async (req, res) => {
    const run = uuidParam.safeParse(req.params.runId).success ? await findRun(db, req.params.runId) : undefined;
    if (!run) throw notFound("Run");
    assertTenantResource(authOf(res), run.tenantId, "Run");
    const q = parseQuery(runChangesQuerySchema, req.query);
    const { data, total } = await listRunChanges(db, run.id, q);
    res.json({ data, total, limit: q.limit, offset: q.offset });
  });

  return router;
}
