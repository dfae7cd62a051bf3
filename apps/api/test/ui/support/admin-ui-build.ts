import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const ADMIN_UI_DIR = resolve(__dirname, "../../../../admin-ui");
const DIST_INDEX = join(ADMIN_UI_DIR, "dist", "index.html");
const LOCK = join(ADMIN_UI_DIR, ".build-lock");

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), st.mtimeMs);
}

function isStale(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((p) => join(ADMIN_UI_DIR, p)).filter(existsSync);
  return Math.max(...sources.map(newestMtime)) > statSync(DIST_INDEX).mtimeMs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The browser tests need apps/admin-ui/dist (the API serves it). A clean clone has none, so the
 * first UI test file to get here builds it; jest runs files in parallel, hence the lock directory
 * (mkdir is atomic) so two files never write dist/ at once.
 */
export async function ensureAdminUiBuilt(): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (isStale()) {
    try {
      mkdirSync(LOCK);
    } catch {
      // Someone else is building; a lock older than 3 minutes is from a crashed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error("timed out waiting for another admin-ui build");
      await sleep(500);
      continue;
    }
    try {
      if (isStale()) {
        execFileSync(process.platform === "win32" ? "pnpm.cmd" : "pnpm", ["--filter", "@sis-sync/admin-ui", "build"], {
          cwd: ADMIN_UI_DIR,
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 170_000,
        });
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
