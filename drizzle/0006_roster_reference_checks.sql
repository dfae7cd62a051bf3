-- The roster's references (a class's school, an enrollment's class and user, a link's entity)
-- are checked by the load, set-based, instead of by foreign keys; a link's provider is the run's
-- own, which exists while the run does (providers are soft-deleted). A foreign key
-- checks each inserted row with its own lookup and row lock: on a first sync that was 16 us per
-- enrollment, 40 % of writing 584 k enrollments and their links (bench, issue #4). The load is
-- the only writer of these tables and builds every reference from a row it has just read or
-- written in the same transaction; after each kind it verifies that every reference it wrote
-- resolves, and fails the run (rolling everything back) if one does not. Nothing deletes roster
-- rows or providers (soft deletes only), so a reference that resolved stays resolved.
ALTER TABLE "roster_class_sources" DROP CONSTRAINT "roster_class_sources_provider_id_sis_providers_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_class_sources" DROP CONSTRAINT "roster_class_sources_entity_id_roster_classes_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_classes" DROP CONSTRAINT "roster_classes_school_id_roster_schools_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_enrollment_sources" DROP CONSTRAINT "roster_enrollment_sources_provider_id_sis_providers_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_enrollment_sources" DROP CONSTRAINT "roster_enrollment_sources_entity_id_roster_enrollments_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_enrollments" DROP CONSTRAINT "roster_enrollments_class_id_roster_classes_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_enrollments" DROP CONSTRAINT "roster_enrollments_user_id_roster_users_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_school_sources" DROP CONSTRAINT "roster_school_sources_provider_id_sis_providers_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_school_sources" DROP CONSTRAINT "roster_school_sources_entity_id_roster_schools_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_user_sources" DROP CONSTRAINT "roster_user_sources_provider_id_sis_providers_id_fk";
--> statement-breakpoint
ALTER TABLE "roster_user_sources" DROP CONSTRAINT "roster_user_sources_entity_id_roster_users_id_fk";
