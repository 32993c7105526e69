import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startWorker } from "../setup/wrangler-dev";

declare module "vitest" {
  export interface ProvidedContext {
    appUrl: string;
  }
}

/**
 * The browser tests' server: the real Worker under `wrangler dev` serving the built web client
 * (built here when `npm test` has not built it already), with the development mailbox on as
 * under `npm start`.
 */
export default async function setup(project: TestProject) {
  if (!existsSync("public/index.html")) {
    execFileSync("npx", ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"], {
      stdio: "inherit",
    });
  }
  const worker = await startWorker({ DEV_MAILBOX: "1" });
  project.provide("appUrl", worker.baseUrl);
  return () => worker.stop();
}
