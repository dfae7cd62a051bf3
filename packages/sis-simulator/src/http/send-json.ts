import type { Response } from "express";
import { DROP_MID_BODY } from "../faults";

/** Sends JSON; when the drop fault marked this response, sends half the body and kills the socket. */
export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.status(status).set({ ...headers, "Content-Type": "application/json; charset=utf-8" });
  if (res.locals[DROP_MID_BODY]) {
    const bytes = Buffer.from(text);
    res.set("Content-Length", String(bytes.length));
    res.flushHeaders();
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.send(text);
}
