import type { Context } from "hono";
import type { AppEnv } from "../env";

/**
 * Human API docs (Scalar) that work offline: the UI script is served from the project's own
 * static assets (`public/vendor/scalar`, copied from the npm package at install), never a CDN.
 */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Edgegram API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/vendor/scalar/standalone.js"></script>
    <script src="/docs.js"></script>
  </body>
</html>`;

/** Same-origin scripts only; Scalar injects its styles inline. */
export const DOCS_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
};

export function docsPage(c: Context<AppEnv>): Response {
  return c.html(PAGE);
}
