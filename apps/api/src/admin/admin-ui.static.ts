import { existsSync } from "node:fs";
import { resolve } from "node:path";
import express, { Router } from "express";

export function adminUiDistDir(): string {
  return resolve(__dirname, "../../../admin-ui/dist");
}

/** Serves the built district admin SPA at /integrations/sis, with index.html for client routes. */
export function adminUiRouter(distDir = adminUiDistDir()): Router {
  const router = Router();
  const index = resolve(distDir, "index.html");
  router.use("/integrations/sis", express.static(distDir, { index: false, maxAge: "1h" }));
  router.get(["/integrations/sis", "/integrations/sis/*splat"], (_req, res) => {
    if (!existsSync(index)) {
      res.status(503).type("text/plain").send("The admin UI is not built yet: run `pnpm build` (or `pnpm start`, which builds it).");
      return;
    }
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(index);
  });
  return router;
}
