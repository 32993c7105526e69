import { METHOD_NAME_ALL } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import { ApiError } from "./errors";

/**
 * Methods the API serves on some path: HEAD comes with every GET (Hono answers it from the GET
 * route) and OPTIONS is the CORS preflight under `/v1/`. Any other method (TRACE, PROPFIND, QUERY,
 * …) is implemented nowhere and answers 501 (docs/security.md E2).
 */
const IMPLEMENTED = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The answer to a request no route took, for `app.notFound`: 501 `not_implemented` for a method
 * the API implements nowhere; 405 `method_not_allowed` with `allow` for a path that is served, but
 * with other methods; 404 `not_found` otherwise. `routes` is the app's route table (`app.routes`),
 * read on first use, when every router has been mounted.
 */
export function unroutedAnswer(routes: readonly { method: string; path: string }[]) {
  let methodsByPath: TrieRouter<string> | undefined;
  const methodsOf = (path: string): Set<string> => {
    if (!methodsByPath) {
      methodsByPath = new TrieRouter<string>();
      // Middleware is registered for every method (ALL); only routes name the methods a path serves.
      for (const route of routes) {
        if (route.method !== METHOD_NAME_ALL) methodsByPath.add(METHOD_NAME_ALL, route.path, route.method);
      }
    }
    const [matches] = methodsByPath.match(METHOD_NAME_ALL, path);
    return new Set(matches.map(([method]) => method));
  };

  return (method: string, path: string): ApiError => {
    if (!IMPLEMENTED.has(method)) {
      return new ApiError("not_implemented", `This API does not implement the ${method} method.`);
    }
    const served = methodsOf(path);
    if (served.size === 0) return new ApiError("not_found", "No route matches this path.");
    if (served.has("GET")) served.add("HEAD");
    if (path.startsWith("/v1/")) served.add("OPTIONS");
    const allow = [...IMPLEMENTED].filter((m) => served.has(m)).join(", ");
    return new ApiError("method_not_allowed", `This path answers ${allow}.`, { headers: { allow } });
  };
}
