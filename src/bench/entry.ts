import { workerFor } from "../worker";
import { createBenchApp } from "./app";

export * from "../durable-objects";

/**
 * The Worker `npm run bench` bundles and serves (bench/run.mjs): the production Worker plus
 * /bench/*. Nothing in src/index.ts imports this directory, so the deployed bundle has no bench
 * route; wrangler.toml is shared, only the entry differs.
 */
export default workerFor(createBenchApp());
