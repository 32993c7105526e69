import type { Platform } from "./platform";
import type { AppConfig } from "./platform/config";

/** The authenticated caller, set by the auth middleware. */
export interface Caller {
  userId: string;
}

/** Hono's environment for this app: bindings are the `wrangler types` Env. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: AppConfig;
    /** Everything features use, built by the composition root (src/platform/index.ts). */
    platform: Platform;
    caller: Caller | null;
  };
}
