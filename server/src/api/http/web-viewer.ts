import path from "node:path";
import express, { type RequestHandler } from "express";
import { NotFoundError } from "./errors.js";
import { isPeerPath } from "./peer-paths.js";
import { VIEWER_CSP } from "./security-headers.js";

/** Vite writes content-hashed files to `assets/`: their names change with their content. */
const HASHED_ASSET = /[/\\]assets[/\\][^/\\]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * The web viewer's static files at `/`, with no token (the page asks for it), under the viewer's
 * Content-Security-Policy (security-headers.ts). Hashed assets are cached for a year; everything
 * else, `index.html` above all, is revalidated so a new build shows up at once. A GET for a page
 * (accepts HTML) that is neither an API route nor under `assets/` gets `index.html` (client-side
 * routing); a missing `/assets/x.js` stays a 404.
 */
export function webViewer(webRoot: string): RequestHandler[] {
  const root = path.resolve(webRoot);
  const serveFiles = express.static(root, {
    index: "index.html",
    redirect: false,
    setHeaders(res, file) {
      res.setHeader("Content-Security-Policy", VIEWER_CSP);
      res.setHeader(
        "Cache-Control",
        HASHED_ASSET.test(file) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  const spaFallback: RequestHandler = (req, res, next) => {
    const isPage =
      (req.method === "GET" || req.method === "HEAD") && req.accepts("html") && !looksLikeFile(req.path);
    if (!isPage || isServerPath(req.path)) {
      next();
      return;
    }
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Content-Security-Policy", VIEWER_CSP);
    res.sendFile(path.join(root, "index.html"), (error) => {
      if (error) next(new NotFoundError("The web viewer is not built (no index.html in the web root)"));
    });
  };
  return [serveFiles, spaFallback];
}

/**
 * `/api/…`, `/metrics` and the peers' paths (`/view/…`, `/email`, `/mailhog/…`: peer-paths.ts)
 * never fall back to the page: an unknown API route is a JSON 404.
 */
function isServerPath(requestPath: string): boolean {
  const lower = requestPath.toLowerCase();
  return lower === "/api" || lower.startsWith("/api/") || lower === "/metrics" || isPeerPath(lower);
}

/**
 * A missing build asset is a 404, not the page (a stale tab asking for an old hash should fail
 * loudly). Other paths may hold dots (`/inbox/ann@example.test`), so only `assets/` counts.
 */
function looksLikeFile(requestPath: string): boolean {
  return requestPath.startsWith("/assets/");
}
