import type { Express } from "express";
import { compatRoutes } from "./compat/compat-routes.js";
import type { ApiDeps } from "./deps.js";
import { expressApp } from "./http/express-app.js";
import { dnsRoutes } from "./routes/dns-routes.js";
import { faultRoutes } from "./routes/fault-routes.js";
import { inboxRoutes } from "./routes/inbox-routes.js";
import { integrityRoutes } from "./routes/integrity-routes.js";
import { messageRoutes } from "./routes/message-routes.js";
import { outboundRoutes } from "./routes/outbound-routes.js";
import { reportRoutes } from "./routes/report-routes.js";
import { serviceRoutes } from "./routes/service-routes.js";
import { waitRoutes } from "./routes/wait-routes.js";
import { webhookRoutes } from "./routes/webhook-routes.js";

/**
 * The HTTP app: every route of docs/api.md on the plumbing of `http/express-app.ts` (guards, the
 * web viewer, the error handling). Mountable on any server (tests use port 0); `startHttpServer`
 * adds the listener and the WebSocket.
 */
export function createApp(deps: ApiDeps): Express {
  return expressApp(deps.config, (routes) => {
    serviceRoutes(routes, deps);
    inboxRoutes(routes, deps);
    waitRoutes(routes, deps);
    messageRoutes(routes, deps);
    faultRoutes(routes, deps);
    reportRoutes(routes, deps);
    webhookRoutes(routes, deps);
    outboundRoutes(routes, deps);
    dnsRoutes(routes, deps);
    integrityRoutes(routes, deps);
    compatRoutes(routes, deps);
  });
}
