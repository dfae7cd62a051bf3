CREATE TABLE "sis_raw_unseen" (
	"run_id" uuid NOT NULL,
	"kind" smallint NOT NULL,
	"record_fp" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "roster_class_sources" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "roster_enrollment_sources" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "roster_school_sources" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "roster_user_sources" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ADD COLUMN "record_fp" bigint;--> statement-breakpoint
CREATE INDEX "sis_raw_unseen_run_idx" ON "sis_raw_unseen" USING btree ("run_id","kind","record_fp");--> statement-breakpoint
ALTER TABLE "sis_raw_unseen" SET UNLOGGED;
--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ALTER COLUMN "run_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ALTER COLUMN "external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ALTER COLUMN "error" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_schools" ALTER COLUMN "deleted" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "run_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "error" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "deleted" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "school_external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "run_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "error" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "deleted" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "email_key" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "student_number" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "role" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "run_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "error" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "deleted" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "class_external_id" SET STATISTICS 20;--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "user_external_id" SET STATISTICS 20;
