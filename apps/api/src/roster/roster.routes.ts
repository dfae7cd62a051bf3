import { Router } from "express";
import type { Database } from "@sis-sync/db";

/** Roster read routes (api.md "Roster"); filled in with the sync engine's queries. */
export function rosterRouter(_db: Database): Router {
  return Router();
}
