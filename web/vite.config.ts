import { rmSync } from "node:fs";
import { join } from "node:path";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/** Where `npm run dev:web` sends what the Worker serves; `npm start` listens here by default. */
const API = process.env.EDGEGRAM_API ?? "http://127.0.0.1:8787";
/** The Worker's paths (wrangler.toml `run_worker_first`, plus the docs page's own scripts). */
const WORKER_PATHS = ["/v1", "/media", "/uploads", "/exports", "/dev", "/docs", "/vendor", "/openapi.json"];
const OUT = join(import.meta.dirname, "../public");

/**
 * The build writes into the Worker's assets folder beside files it does not own (the docs UI), so
 * it cannot empty the folder: it removes only its own previous output, so stale chunks are never
 * deployed.
 */
function cleanOwnOutput(): Plugin {
  return {
    name: "edgegram-clean-own-output",
    apply: "build",
    buildStart() {
      rmSync(join(OUT, "assets"), { recursive: true, force: true });
      rmSync(join(OUT, "index.html"), { force: true });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  publicDir: false,
  plugins: [react(), tailwindcss(), cleanOwnOutput()],
  build: { outDir: OUT, emptyOutDir: false, assetsDir: "assets", target: "es2022" },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(WORKER_PATHS.map((path) => [path, { target: API, ws: path === "/v1" }])),
  },
});
