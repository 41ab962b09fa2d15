import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { PEER_PREFIXES } from "../http/peer-paths.js";
import { maildevRoutes } from "./maildev/maildev-routes.js";
import { mailhogRoutes } from "./mailhog/mailhog-routes.js";
import { mailpitRoutes } from "./mailpit/mailpit-routes.js";

/**
 * The peers' APIs (docs/compatibility.md): Mailpit under `/mailpit`, MailHog under `/mailhog`,
 * MailDev under `/maildev`, each registered once in the route table (so the OpenAPI document lists
 * them and the token check guards them). For the peers `--compat` names, the plumbing sends a
 * request to the path that peer's own server uses (`/api/v1/messages`, `/email`) to the same
 * route (`http/peer-paths.ts`).
 */
export function compatRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  mailpitRoutes(routes, deps, PEER_PREFIXES.mailpit);
  mailhogRoutes(routes, deps, PEER_PREFIXES.mailhog);
  maildevRoutes(routes, deps, PEER_PREFIXES.maildev);
}
