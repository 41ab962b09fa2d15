import express, { type Express, type Request, type Response } from "express";
import type { CompatPeer, MailnestConfig } from "../../config.js";
import { hostGuard } from "./access-guards.js";
import { ApiRoutes } from "./api-routes.js";
import { cors } from "./cors.js";
import { collapseSlashes, peerRootAliases, peerRootNotFound } from "./peer-paths.js";
import { requestLog } from "./request-log.js";
import { securityHeaders } from "./security-headers.js";
import { errorHandler, routeNotFound } from "./send-error.js";
import { webViewer } from "./web-viewer.js";

/**
 * What the HTTP plumbing reads: who may call, from where, whether to serve the viewer and log, and
 * which peers' APIs also answer at their own root paths (`--compat`, peer-paths.ts).
 */
export type HttpAppConfig = Pick<
  MailnestConfig,
  "host" | "apiToken" | "corsOrigins" | "webRoot" | "quiet" | "compat"
>;

/**
 * The express app around a route table: security headers, the Host guard, CORS, the route table
 * `addRoutes` fills (with its token, origin and body checks), the web viewer, JSON 404s and the
 * error handler. Knows no route itself: `api/app.ts` adds them.
 */
export function expressApp(config: HttpAppConfig, addRoutes: (routes: ApiRoutes) => void): Express {
  const app = express();
  app.disable("x-powered-by");
  // Live data: an ETag only invites a stale 304; list routes send `Cache-Control: no-store` anyway.
  app.disable("etag");
  app.set("case sensitive routing", true);
  if (!config.quiet) app.use(requestLog);
  app.use(securityHeaders, hostGuard(config.host), cors(config.corsOrigins));

  const routes = new ApiRoutes(config.apiToken, config.corsOrigins);
  addRoutes(routes);
  app.use(peerRootAliases(config.compat), routes.router);

  app.use("/api", (req, res, next) => next(notFound(req, res)));
  if (config.webRoot !== null) app.use(webViewer(config.webRoot));
  app.use((req, res, next) => next(notFound(req, res)));
  app.use(errorHandler);
  return app;
}

/** The 404 of a path no route took; for a peer's root path, one that may say where another peer is. */
function notFound(req: Request, res: Response): Error {
  const owner = res.locals.peerRootOwner as CompatPeer | undefined;
  const path = pathOf(req.originalUrl);
  return owner === undefined
    ? routeNotFound(req.method, path)
    : peerRootNotFound(req.method, collapseSlashes(path), owner);
}

/** Without the query string, which may carry `?token=`. */
function pathOf(url: string): string {
  return url.split("?", 1)[0] ?? url;
}
