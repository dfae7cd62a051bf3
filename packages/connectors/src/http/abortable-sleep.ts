import { ConnectorError } from "@sis-sync/roster";

/** Waits `ms`, or rejects with CANCELLED as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelledError(what));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError(what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function cancelledError(what: string): ConnectorError {
  return new ConnectorError("CANCELLED", `Cancelled while ${what}`);
}
