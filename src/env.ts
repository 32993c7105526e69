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
    caller: Caller | null;
  };
}
