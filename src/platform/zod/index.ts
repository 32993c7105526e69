/**
 * What the Worker bundle gets for `import … from "zod"` (wrangler.toml's [alias]): zod itself,
 * with the same objects under the same names, but with English as the only locale.
 *
 * @hono/zod-openapi calls `extendZodWithOpenApi(z)`, handing zod's whole namespace over as a value,
 * so the bundler must keep every export of it, and `z.locales` (and `z.core.locales`) carry the
 * error messages of some 60 languages: about a quarter of the bundle. This Worker only ever answers
 * in English, and zod registers English through its own import, not through `z.locales`, so the
 * messages are the same. Only the bundle is aliased: tsc and the workerd tests resolve the real
 * package, and test/platform/zod-bundle.test.ts checks this module hands out the same objects.
 */
import en from "zod/v4/locales/en.js";
import * as z from "./index";

export * from "zod/v4";
export * as core from "./core";
export const locales = { en };
export { z, z as default };
