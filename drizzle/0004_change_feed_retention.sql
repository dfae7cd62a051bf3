CREATE TABLE "roster_change_retention" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"pruned_through_id" bigint NOT NULL,
	"pruned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "roster_changes_created_at_idx" ON "roster_changes" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("tenant_id","from_change_id") WHERE "webhook_deliveries"."status" = 'PENDING';