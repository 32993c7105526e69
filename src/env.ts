import type { AccessClaims } from "./features/auth/tokens";
import type { Platform } from "./platform";
import type { AppConfig } from "./platform/config";

/** The authenticated caller, set by the auth middleware from the access token's claims. */
export type Caller = AccessClaims;

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
