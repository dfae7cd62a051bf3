export { createLogger, type Logger, type LoggerOptions } from "./logger";
export { redact, redactString, REDACTED } from "./redact";
