import type { Redis } from "ioredis";
import type { ConnectorLogger } from "@sis-sync/roster";

/** What the service hands every connector factory. */
export interface ConnectorDeps {
  providerId: string;
  logger: ConnectorLogger;
  /** Shared Redis for the fleet-wide request-rate limiter and token caches; null in unit tests. */
  redis: Redis | null;
  /** Key prefix for anything the connector keeps in Redis. */
  redisPrefix: string;
  /** Refuse private/loopback/link-local hosts unless true (SIS_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts: boolean;
  /** Require https outbound (production). */
  requireHttps: boolean;
}
