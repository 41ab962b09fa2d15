import type {
  CreateWebhookRequest,
  UpdateWebhookRequest,
  WebhookDeliveryList,
  WebhookEndpointList,
  WebhookSecret,
} from "@mailnest/protocol";
import type { WebhookService } from "../../webhooks/webhook-service.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import { refuseBodyFields } from "../http/json-body.js";
import type { QueryValues } from "./params.js";

const ENDPOINT_ID = /^ep_[0-9a-z]{26}$/;
const DELIVERY_ID = /^dl_[0-9a-z]{26}$/;
/** Deliveries listed when `limit` is not given, and at most. */
const DEFAULT_DELIVERIES = 100;
const MAX_DELIVERIES = 1000;

/** `/api/webhooks…` and `/api/webhook-deliveries…` (docs/integrations.md, "Webhooks"). */
export function webhookRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const webhooks = (): WebhookService => {
    if (!deps.webhooks) throw new NotFoundError("Webhooks are not enabled on this server");
    return deps.webhooks;
  };

  routes.get("/api/webhooks", (_req, res) => {
    const list: WebhookEndpointList = { endpoints: webhooks().endpoints() };
    res.json(list);
  });

  routes.post("/api/webhooks", async (req, res) => {
    res.status(201).json(await webhooks().add(objectBody(req.body) as unknown as CreateWebhookRequest));
  });

  routes.get("/api/webhooks/:id", (req, res) => {
    res.json(webhooks().endpoint(endpointId(req.params.id)));
  });

  routes.patch("/api/webhooks/:id", async (req, res) => {
    const id = endpointId(req.params.id);
    res.json(await webhooks().update(id, objectBody(req.body) as UpdateWebhookRequest));
  });

  routes.delete("/api/webhooks/:id", async (req, res) => {
    await webhooks().remove(endpointId(req.params.id));
    res.status(204).end();
  });

  routes.get("/api/webhooks/:id/secret", (req, res) => {
    const secret: WebhookSecret = { secret: webhooks().secret(endpointId(req.params.id)) };
    res.json(secret);
  });

  routes.get("/api/webhooks/:id/deliveries", (req, res) => {
    const id = endpointId(req.params.id);
    const list: WebhookDeliveryList = {
      deliveries: webhooks().deliveries(id, { limit: limitQuery(req.query) }),
    };
    res.json(list);
  });

  routes.get("/api/webhook-deliveries/:id", (req, res) => {
    res.json(webhooks().delivery(deliveryId(req.params.id)));
  });

  routes.post("/api/webhook-deliveries/:id/redeliver", async (req, res) => {
    refuseBodyFields(req.body);
    res.status(202).json(await webhooks().redeliver(deliveryId(req.params.id)));
  });
}

function endpointId(value: unknown): string {
  if (typeof value !== "string" || !ENDPOINT_ID.test(value)) {
    throw new NotFoundError(`No webhook endpoint with id ${JSON.stringify(String(value))}`);
  }
  return value;
}

function deliveryId(value: unknown): string {
  if (typeof value !== "string" || !DELIVERY_ID.test(value)) {
    throw new NotFoundError(`No webhook delivery with id ${JSON.stringify(String(value))}`);
  }
  return value;
}

/** A JSON object body (an absent body counts as `{}`). */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidParameterError("body", "Expected a JSON object");
  }
  return body as Record<string, unknown>;
}

/** `?limit=` from 1 to 1000 (default 100); nothing else is accepted. */
export function limitQuery(query: QueryValues): number {
  for (const name of Object.keys(query)) {
    if (name !== "limit") {
      throw InvalidParameterError.expected(name, "no such parameter (known: limit)", query[name]);
    }
  }
  const raw = query.limit;
  if (raw === undefined) return DEFAULT_DELIVERIES;
  const limit = typeof raw === "string" && /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_DELIVERIES)) {
    throw InvalidParameterError.expected("limit", `an integer from 1 to ${MAX_DELIVERIES}`, raw);
  }
  return limit;
}
