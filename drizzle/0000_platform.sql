CREATE TYPE "public"."sis_provider_type" AS ENUM('CLEVER', 'CLASSLINK', 'ONEROSTER_API', 'ONEROSTER_CSV');--> statement-breakpoint
CREATE TYPE "public"."sis_sync_phase" AS ENUM('extract', 'stage', 'load', 'done');--> statement-breakpoint
CREATE TYPE "public"."sis_sync_status" AS ENUM('PENDING', 'IN_PROGRESS', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "sis_providers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_type" "sis_provider_type" NOT NULL,
	"name" text NOT NULL,
	"config_encrypted" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"sync_schedule" text,
	"sync_timezone" text DEFAULT 'UTC' NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_sync_at" timestamp with time zone,
	"sync_cursor" text,
	"last_full_sync_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sis_run_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"entity_type" text NOT NULL,
	"external_id" text,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sis_sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"status" "sis_sync_status" DEFAULT 'PENDING' NOT NULL,
	"is_manual" boolean NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"force" boolean DEFAULT false NOT NULL,
	"mode" text DEFAULT 'full' NOT NULL,
	"phase" "sis_sync_phase",
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"stats" jsonb,
	"error_message" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"worker_id" text,
	"heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "sis_run_errors" ADD CONSTRAINT "sis_run_errors_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sis_sync_runs" ADD CONSTRAINT "sis_sync_runs_provider_id_sis_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."sis_providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sis_providers_tenant_idx" ON "sis_providers" USING btree ("tenant_id") WHERE "sis_providers"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "sis_run_errors_run_idx" ON "sis_run_errors" USING btree ("run_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "sis_sync_runs_one_live_per_provider" ON "sis_sync_runs" USING btree ("provider_id") WHERE "sis_sync_runs"."status" in ('PENDING', 'IN_PROGRESS');--> statement-breakpoint
CREATE INDEX "sis_sync_runs_provider_created_idx" ON "sis_sync_runs" USING btree ("provider_id","created_at");--> statement-breakpoint
CREATE INDEX "sis_sync_runs_live_idx" ON "sis_sync_runs" USING btree ("status") WHERE "sis_sync_runs"."status" in ('PENDING', 'IN_PROGRESS');