import express, { type Express } from "express";
import { hostGuard } from "./access-guards.js";
import { ApiRoutes } from "./api-routes.js";
import { cors } from "./cors.js";
import type { ApiDeps } from "./deps.js";
import { faultRoutes } from "./fault-routes.js";
import { inboxRoutes } from "./inbox-routes.js";
import { messageRoutes } from "./message-routes.js";
import { requestLog } from "./request-log.js";
import { securityHeaders } from "./security-headers.js";
import { errorHandler, routeNotFound } from "./send-error.js";
import { serviceRoutes } from "./service-routes.js";
import { WaitRegistry } from "./wait-registry.js";
import { waitRoutes } from "./wait-routes.js";
import { webViewer } from "./web-viewer.js";

/**
 * The HTTP app: every route of docs/api.md, the web viewer and the error handling. Mountable on
 * any server (tests use port 0); `startHttpServer` adds the listener and the WebSocket.
 */
export function createApp(deps: ApiDeps): Express {
  const { config } = deps;
  const waits = deps.waits ?? new WaitRegistry(deps.store, deps.bus);
  const app = express();
  app.disable("x-powered-by");
  // Live data: an ETag only invites a stale 304; list routes send `Cache-Control: no-store` anyway.
  app.disable("etag");
  app.set("case sensitive routing", true);
  if (!config.quiet) app.use(requestLog);
  app.use(securityHeaders, hostGuard(config.host), cors(config.corsOrigins));

  const routes = new ApiRoutes(config.apiToken, config.corsOrigins);
  serviceRoutes(routes, deps, waits);
  inboxRoutes(routes, deps);
  waitRoutes(routes, deps, waits);
  messageRoutes(routes, deps);
  faultRoutes(routes, deps);
  app.use(routes.router);

  app.use("/api", (req, _res, next) => next(routeNotFound(req.method, pathOf(req.originalUrl))));
  if (config.webRoot !== null) app.use(webViewer(config.webRoot));
  app.use((req, _res, next) => next(routeNotFound(req.method, pathOf(req.originalUrl))));
  app.use(errorHandler);
  return app;
}

/** Without the query string, which may carry `?token=`. */
function pathOf(url: string): string {
  return url.split("?", 1)[0] ?? url;
}
