import type { PoolClient } from "pg";

/** What validation and the load need of a connection. */
export type Queryable = Pick<PoolClient, "query">;

/** The client's `query`, reporting how long each statement took (debug logging); the client itself without a reporter. */
export function timed(client: PoolClient, report?: (sql: string, ms: number) => void): Queryable {
  if (!report) return client;
  return {
    query: (async (text: string, values?: unknown[]) => {
      const t0 = performance.now();
      try {
        return await client.query(text, values);
      } finally {
        report(text.replace(/\s+/g, " ").slice(0, 120), Math.round(performance.now() - t0));
      }
    }) as PoolClient["query"],
  };
}
