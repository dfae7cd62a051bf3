import { sql } from "drizzle-orm";
import type { Database } from "@sis-sync/db";

/** Changes per delivery: big enough that a 1 % day of a large district is a few hundred requests, small enough for any receiver's body limit. */
export const WEBHOOK_BATCH_SIZE = 500;

/**
 * Turns a tenant's new changes (or every tenant's) into deliveries: per endpoint, batches of its
 * kinds' changes after its watermark, each a `webhook_deliveries` row, the watermark advanced in
 * the same transaction. Endpoints are locked with SKIP LOCKED, so workers that dispatch at the
 * same time never cut the same changes into two deliveries. Returns the new deliveries' ids
 * (the caller enqueues them after the commit).
 */
export async function dispatchChanges(db: Database, opts: { tenantId?: string; batchSize?: number } = {}): Promise<string[]> {
  const batch = opts.batchSize ?? WEBHOOK_BATCH_SIZE;
  return db.transaction(async (tx) => {
    const endpoints = await tx.execute<{ id: string; tenant_id: string; kinds: string[]; last_change_id: string }>(
      sql`select id, tenant_id, kinds, last_change_id from webhook_endpoints
           where deleted_at is null ${opts.tenantId ? sql`and tenant_id = ${opts.tenantId}` : sql``}
           order by id for update skip locked`,
    );
    const created: string[] = [];
    for (const ep of endpoints.rows) {
      // Kinds are validated against the four entity kinds when the endpoint is created.
      const kinds = ep.kinds.filter((k) => /^[a-z]+$/.test(k));
      if (kinds.length === 0) continue;
      let last = Number(ep.last_change_id);
      for (;;) {
        const r = await tx.execute<{ n: string; max_id: string | null }>(
          sql`select count(*) as n, max(id) as max_id from (
                select id from roster_changes
                 where tenant_id = ${ep.tenant_id} and id > ${last} and kind = any(${sql.raw(`'{${kinds.join(",")}}'::text[]`)})
                 order by id limit ${batch}) c`,
        );
        const n = Number(r.rows[0].n);
        if (n === 0) break;
        const to = Number(r.rows[0].max_id);
        const d = await tx.execute<{ id: string }>(
          sql`insert into webhook_deliveries (endpoint_id, tenant_id, from_change_id, to_change_id, change_count)
              values (${ep.id}, ${ep.tenant_id}, ${last}, ${to}, ${n}) returning id`,
        );
        created.push(d.rows[0].id);
        last = to;
        if (n < batch) break;
      }
      if (last !== Number(ep.last_change_id)) await tx.execute(sql`update webhook_endpoints set last_change_id = ${last} where id = ${ep.id}`);
    }
    return created;
  });
}

/** Deliveries created but never attempted for a while (their enqueue was lost): enqueued again, idempotently by job id. */
export async function orphanedDeliveries(db: Database, olderThanMs: number): Promise<string[]> {
  const r = await db.execute<{ id: string }>(
    sql`select id from webhook_deliveries
         where status = 'PENDING' and attempts = 0 and last_attempt_at is null
           and created_at < now() - (${olderThanMs} * interval '1 millisecond')
         order by created_at limit 1000`,
  );
  return r.rows.map((row) => row.id);
}
