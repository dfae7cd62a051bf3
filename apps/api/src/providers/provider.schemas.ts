import { z } from "zod";
import { PROVIDER_TYPES, providerOptionsSchema } from "@sis-sync/connectors";

export const uuidParam = z.uuid();

const schedule = z.string().trim().min(1).max(100).nullable();
const timezone = z.string().trim().min(1).max(64);

export const createProviderBodySchema = z.strictObject({
  tenantId: z.string().trim().min(1).max(128),
  providerType: z.enum(PROVIDER_TYPES),
  name: z.string().trim().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
  syncSchedule: schedule.optional(),
  syncTimezone: timezone.optional(),
  enabled: z.boolean().optional(),
  options: providerOptionsSchema.partial().optional(),
});
export type CreateProviderBody = z.infer<typeof createProviderBodySchema>;

export const updateProviderBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  syncSchedule: schedule.optional(),
  syncTimezone: timezone.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  options: providerOptionsSchema.partial().optional(),
});
export type UpdateProviderBody = z.infer<typeof updateProviderBodySchema>;

export const triggerSyncBodySchema = z.strictObject({
  dryRun: z.boolean().optional(),
  force: z.boolean().optional(),
  mode: z.enum(["full", "incremental"]).optional(),
});

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});
