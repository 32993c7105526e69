import { createApp } from "../app";
import { benchRoutes } from "./routes";

/** The production app with the bench's routes mounted at /bench (bench-only: see ./entry.ts). */
export function createBenchApp() {
  const app = createApp();
  app.route("/bench", benchRoutes);
  return app;
}
