import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RequestHandler } from "express";
import { sql } from "drizzle-orm";
import type { Database } from "@sis-sync/db";
import type { SyncProducer } from "@sis-sync/queue";

export interface ApiMetrics {
  registry: Registry;
  httpMiddleware: RequestHandler;
}

/** Prometheus metrics: HTTP latency, runs by status, queue depth (read at scrape time). */
export function createMetrics(db: Database, producer: SyncProducer): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: "sis_http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpRequests = new Counter({ name: "sis_http_requests_total", help: "HTTP requests", labelNames: ["method", "route", "status"], registers: [registry] });
  new Gauge({
    name: "sis_sync_runs",
    help: "Sync runs by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await db.execute<{ status: string; n: string }>(sql`select status, count(*)::text as n from sis_sync_runs group by status`);
      this.reset();
      for (const r of rows.rows) this.set({ status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: "sis_sync_queue_jobs",
    help: "Sync queue jobs by state",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const counts = await producer.waitingCount().catch(() => ({}) as Record<string, number>);
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });

  const httpMiddleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on("finish", () => {
      // The matched route pattern, not the raw path: ids would explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : "unmatched";
      const labels = { method: req.method, route, status: String(res.statusCode) };
      end(labels);
      httpRequests.inc(labels);
    });
    next();
  };
  return { registry, httpMiddleware };
}
