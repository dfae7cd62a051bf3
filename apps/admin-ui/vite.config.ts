import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API serves dist/ at /integrations/sis (with an index.html fallback for client routes),
// so every asset URL must carry that prefix.
export default defineConfig({
  base: "/integrations/sis/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    // `pnpm --filter @sis-sync/admin-ui dev` against a locally running API (pnpm dev / pnpm demo).
    proxy: {
      "/api": process.env.SIS_API_URL ?? "http://localhost:3000",
      "/admin": process.env.SIS_API_URL ?? "http://localhost:3000",
    },
  },
});
