import type { Health, ServerClock } from "@mailnest/protocol";
import { systemClock } from "../../clock.js";
import { describeStore } from "../../store/store-location.js";
import { SERVER_VERSION } from "../../version.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { NotFoundError } from "../http/errors.js";

/** Health, the OpenAPI document and the Prometheus scrape. */
export function serviceRoutes(routes: ApiRoutes, { config, store, waits, metrics, clock }: ApiDeps): void {
  routes.get("/api/health", (_req, res) => {
    // Not ready once shutdown began: a load balancer or test harness should stop sending.
    // A lost database leaves the instance ready: it still answers reads from memory and 451s mail
    // (temporary, so clients retry), which beats a balancer that sends every client away at once.
    const ready = !waits.closed;
    const reachable = store.reachable;
    res.status(ready ? 200 : 503).json({
      status: !ready ? "closing" : reachable ? "ok" : "degraded",
      ready,
      version: SERVER_VERSION,
      head: store.head,
      messages: store.messageCount,
      unread: store.unreadCount,
      inboxes: store.listInboxes().length,
      waiters: waits.size,
      smtp: { port: config.smtpPort },
      smtps: { port: config.smtpsPort },
      pop3: { port: config.pop3Port },
      pop3s: { port: config.pop3sPort },
      imap: { port: config.imapPort },
      imaps: { port: config.imapsPort },
      damaged: store.damagedCount,
      store: { ...describeStore(config), reachable },
    } satisfies Health);
  });

  // Probes in the usual Kubernetes spelling, answered without the token (a probe carries none) and
  // saying nothing but whether the process serves: `/livez` while it runs, `/readyz` until shutdown
  // begins. `/api/health` has the details, behind the token.
  routes.get("/livez", (_req, res) => void res.type("text/plain").send("ok"), { withoutToken: true });
  routes.get(
    "/readyz",
    (_req, res) => {
      if (waits.closed) res.status(503).type("text/plain").send("closing");
      else res.type("text/plain").send("ok");
    },
    { withoutToken: true },
  );

  // The server's clock, for clients that measure their offset to it (inbox.nextMessage()): as cheap
  // as a route can be, so the fastest of a few round trips bounds the measurement's error tightly.
  routes.get("/api/clock", (_req, res) => {
    res.json({ now: (clock ?? systemClock)() } satisfies ServerClock);
  });

  // Built at the first request: the document and the wire types' schemas behind it (about 150 KB of
  // the bundle) were compiled and built at every start for a route few clients call.
  routes.get("/api/openapi.json", async (_req, res) => {
    res.json((await import("../openapi/document.js")).openApiDocument);
  });

  routes.get("/metrics", (_req, res) => {
    if (!metrics) throw new NotFoundError("Metrics are not enabled on this server");
    res.type("text/plain; version=0.0.4; charset=utf-8").send(metrics.render());
  });
}
