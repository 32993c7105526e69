import type { TestProject } from "vitest/node";
import { startWorker } from "../setup/wrangler-dev";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/**
 * Starts the Worker under `wrangler dev` so these tests speak real HTTP over a real socket: byte
 * counts, chunked streams and lying headers behave here as they do for clients.
 */
export default async function setup(project: TestProject) {
  const worker = await startWorker();
  project.provide("baseUrl", worker.baseUrl);
  return () => worker.stop();
}
