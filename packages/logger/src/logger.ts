import { createLogger as createWinston, format, transports, type Logger } from "winston";
import { redact, redactString } from "./redact";

export type { Logger } from "winston";

// Redaction is a winston format, so every transport gets it and no call site can forget it.
const redactFormat = format((info) => {
  const { level, message, ...meta } = info;
  const clean = redact(meta) as Record<string, unknown>;
  for (const key of Object.keys(meta)) delete (info as Record<string, unknown>)[key];
  Object.assign(info, clean, { level, message: typeof message === "string" ? redactString(message) : redact(message) });
  return info;
});

export interface LoggerOptions {
  level?: string;
  service: string;
  /** Extra destination, e.g. for tests that read every line. */
  stream?: NodeJS.WritableStream;
}

export function createLogger({ level = "info", service, stream }: LoggerOptions): Logger {
  return createWinston({
    level,
    defaultMeta: { service },
    format: format.combine(format.errors({ stack: true }), redactFormat(), format.timestamp(), format.json()),
    transports: [stream ? new transports.Stream({ stream }) : new transports.Console()],
  });
}
