import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";

/** A `COPY … FROM STDIN` with back-pressure: `write` waits while Postgres catches up. */
export interface CopyStream {
  write(text: string): Promise<void>;
  /** Finishes the COPY (its rows become visible). */
  end(): Promise<void>;
  /** Abandons the COPY (its rows are discarded). */
  abort(): Promise<void>;
}

export function openCopy(client: PoolClient, copySql: string): CopyStream {
  const stream = client.query(copyFrom(copySql));
  let failure: Error | null = null;
  // Without a listener an error between writes would be thrown as an unhandled 'error' event.
  stream.on("error", (e: Error) => (failure ??= e));
  return {
    async write(text) {
      if (failure) throw failure;
      if (text && !stream.write(text)) await once(stream, "drain");
    },
    async end() {
      if (failure) throw failure;
      stream.end();
      await finished(stream);
    },
    async abort() {
      stream.destroy(new Error("sync stopped"));
      await finished(stream).catch(() => undefined);
    },
  };
}
