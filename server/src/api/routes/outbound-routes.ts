import type { RelayRuleList, ReleaseList } from "@mailnest/protocol";
import type { ReleaseService } from "../../relay/release-service.js";
import { submitMessage } from "../../send/submit-message.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { NotFoundError } from "../http/errors.js";
import { refuseBodyFields } from "../http/json-body.js";
import { messageIdParam } from "./params.js";
import { limitQuery, objectBody } from "./webhook-routes.js";

/** The release service, or the 404 every release route answers on a server composed without one. */
export function requireReleases(deps: ApiDeps): ReleaseService {
  if (!deps.releases) throw new NotFoundError("Release is not enabled on this server");
  return deps.releases;
}

const RELEASE_ID = /^rl_[0-9a-z]{26}$/;
const RULE_ID = /^rr_[0-9a-z]{26}$/;

/**
 * `POST /api/send`, and release to the `--relay` server: `/api/relay…`, `/api/releases…` and
 * `POST /api/messages/{id}/release` (docs/integrations.md).
 */
export function outboundRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const { config, store } = deps;
  const releases = () => requireReleases(deps);

  // The body carries attachments as base64: a message of `maxMessageSize` must fit.
  routes.post(
    "/api/send",
    async (req, res) => {
      const message = await submitMessage(store, req.body, {
        maxSize: config.maxMessageSize,
        maxRecipients: config.maxRecipients,
        domain: config.domain,
        remoteAddress: req.socket.remoteAddress ?? "",
      });
      res.status(201).json(message);
    },
    { maxBodyBytes: Math.ceil((config.maxMessageSize * 4) / 3) + 1024 * 1024 },
  );

  routes.get("/api/relay", (_req, res) => {
    res.json(releases().status());
  });

  routes.get("/api/relay/rules", (_req, res) => {
    const list: RelayRuleList = { rules: releases().rules() };
    res.json(list);
  });

  routes.post("/api/relay/rules", async (req, res) => {
    res.status(201).json(await releases().addRule(objectBody(req.body)));
  });

  routes.delete("/api/relay/rules/:id", async (req, res) => {
    const id = String(req.params.id);
    if (!RULE_ID.test(id)) throw new NotFoundError(`No rule with id ${JSON.stringify(id)}`);
    await releases().removeRule(id);
    res.status(204).end();
  });

  routes.post("/api/messages/:id/release", async (req, res) => {
    const id = messageIdParam(req.params.id);
    res.status(202).json(await releases().release(id, objectBody(req.body)));
  });

  routes.get("/api/messages/:id/releases", (req, res) => {
    const messageId = messageIdParam(req.params.id);
    const list: ReleaseList = { releases: releases().releases({ messageId, limit: limitQuery(req.query) }) };
    res.json(list);
  });

  routes.get("/api/releases", (req, res) => {
    const list: ReleaseList = { releases: releases().releases({ limit: limitQuery(req.query) }) };
    res.json(list);
  });

  routes.get("/api/releases/:id", (req, res) => {
    res.json(releases().get(releaseId(req.params.id)));
  });

  routes.post("/api/releases/:id/retry", async (req, res) => {
    refuseBodyFields(req.body);
    res.status(202).json(await releases().retry(releaseId(req.params.id)));
  });
}

function releaseId(value: unknown): string {
  if (typeof value !== "string" || !RELEASE_ID.test(value)) {
    throw new NotFoundError(`No release with id ${JSON.stringify(String(value))}`);
  }
  return value;
}
