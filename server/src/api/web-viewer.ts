import path from "node:path";
import express, { type RequestHandler } from "express";
import { NotFoundError } from "./errors.js";

/** Vite writes content-hashed files to `assets/`: their names change with their content. */
const HASHED_ASSET = /[/\\]assets[/\\][^/\\]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * The web viewer's static files at `/`, with no token (the page asks for it). Hashed assets are
 * cached for a year; everything else, `index.html` above all, is revalidated so a new build shows
 * up at once. A GET that is not an API route and not a file gets `index.html` (client-side routing).
 */
export function webViewer(webRoot: string): RequestHandler[] {
  const root = path.resolve(webRoot);
  const serveFiles = express.static(root, {
    index: "index.html",
    redirect: false,
    setHeaders(res, file) {
      res.setHeader("Cache-Control", HASHED_ASSET.test(file) ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  const spaFallback: RequestHandler = (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || isServerPath(req.path) || !req.accepts("html")) {
      next();
      return;
    }
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(path.join(root, "index.html"), (error) => {
      if (error) next(new NotFoundError("The web viewer is not built (no index.html in the web root)"));
    });
  };
  return [serveFiles, spaFallback];
}

/** `/api/…` and `/metrics` never fall back to the page: an unknown API route is a JSON 404. */
function isServerPath(requestPath: string): boolean {
  const lower = requestPath.toLowerCase();
  return lower === "/api" || lower.startsWith("/api/") || lower === "/metrics";
}
