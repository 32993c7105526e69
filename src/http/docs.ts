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

export function docsPage(c: Context<AppEnv>): Response {
  c.header(
    "content-security-policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  );
  return c.html(PAGE);
}
