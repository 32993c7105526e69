// Copies the Scalar API-reference bundle from node_modules into public/vendor so that /docs
// renders with no internet. Runs after every `npm install` / `npm ci` (the `postinstall` script).
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const target = join(root, "public/vendor/scalar/standalone.js");
if (!existsSync(source)) {
  console.warn("vendor-assets: @scalar/api-reference is not installed; /docs will have no UI script");
} else {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}
