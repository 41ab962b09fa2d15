import { bodyErrors, commonErrors, json, param, ref, response } from "./schema.js";
import type { JsonSchema, Operation, Parameter, PathItem } from "./types.js";

/**
 * Webhooks, the send API and release (docs/integrations.md): this part of `GET /api/openapi.json`,
 * merged in by `document.ts`. The schemas are the protocol's (`protocol/src/integrations.ts`).
 */

export const integrationTags = [
  { name: "webhooks", description: "Signed, durable event deliveries to the operator's endpoints" },
  { name: "send", description: "Store a message built from JSON, as if it had come over SMTP" },
  { name: "relay", description: "Release captured mail to a real SMTP server, to allowed recipients only" },
];

function operation(tag: string, spec: Omit<Operation, "tags">): Operation {
  return { ...spec, tags: [tag], responses: { ...spec.responses, ...commonErrors } };
}

const idParameter = (name: string, description: string, prefix: string): Parameter => ({
  name,
  in: "path",
  required: true,
  description: `${description}; anything not matching the pattern is 404`,
  schema: { type: "string", pattern: `^${prefix}_[0-9a-z]{26}$` },
});

const endpointId = idParameter("id", "Webhook endpoint id", "ep");
const deliveryId = idParameter("id", "Webhook delivery id", "dl");
const releaseId = idParameter("id", "Release id", "rl");
const ruleId = idParameter("id", "Auto-relay rule id", "rr");
const limit: Parameter = {
  name: "limit",
  in: "query",
  description: "Newest first, at most this many (1 to 1000)",
  schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
};

const body = (schema: JsonSchema, required = true) => ({
  required,
  content: { "application/json": { schema } },
});
const noContent = { description: "Done; no body" };
const refused = json(
  {
    type: "object",
    properties: {
      error: {
        allOf: [ref("ErrorObject"), { type: "object", properties: { code: { enum: ["forbidden"] } } }],
      },
    },
    required: ["error"],
  },
  "No relay is configured (--relay), or a recipient is not matched by --relay-allow: nothing was queued",
);

export const integrationPaths: Record<string, PathItem> = {
  "/api/webhooks": {
    get: operation("webhooks", {
      operationId: "listWebhooks",
      summary: "Every endpoint, with its counts and last attempt",
      responses: { "200": json(ref("WebhookEndpointList"), "The endpoints") },
    }),
    post: operation("webhooks", {
      operationId: "createWebhook",
      summary: "Add an endpoint; the answer carries its signing secret",
      requestBody: body(ref("CreateWebhookRequest")),
      responses: {
        "201": json(ref("CreatedWebhookEndpoint"), "The endpoint and its `whsec_` secret"),
        "400": response("BadRequest"),
        ...bodyErrors,
      },
    }),
  },
  "/api/webhooks/{id}": {
    get: operation("webhooks", {
      operationId: "getWebhook",
      summary: "One endpoint",
      parameters: [endpointId],
      responses: { "200": json(ref("WebhookEndpoint"), "The endpoint"), "404": response("NotFound") },
    }),
    patch: operation("webhooks", {
      operationId: "updateWebhook",
      summary: "Pause or resume an endpoint, or change its event kinds or description",
      parameters: [endpointId],
      requestBody: body(ref("UpdateWebhookRequest")),
      responses: {
        "200": json(ref("WebhookEndpoint"), "The endpoint as it is now"),
        "400": response("BadRequest"),
        "404": response("NotFound"),
        ...bodyErrors,
      },
    }),
    delete: operation("webhooks", {
      operationId: "deleteWebhook",
      summary: "Remove an endpoint with its pending deliveries and log",
      parameters: [endpointId],
      responses: { "204": noContent, "404": response("NotFound") },
    }),
  },
  "/api/webhooks/{id}/secret": {
    get: operation("webhooks", {
      operationId: "getWebhookSecret",
      summary: "The endpoint's signing secret",
      parameters: [endpointId],
      responses: { "200": json(ref("WebhookSecret"), "The secret"), "404": response("NotFound") },
    }),
  },
  "/api/webhooks/{id}/deliveries": {
    get: operation("webhooks", {
      operationId: "listWebhookDeliveries",
      summary: "The endpoint's delivery log: pending, delivered and dead deliveries with every attempt",
      parameters: [endpointId, limit],
      responses: {
        "200": json(ref("WebhookDeliveryList"), "Newest first"),
        "400": response("BadRequest"),
        "404": response("NotFound"),
      },
    }),
  },
  "/api/webhook-deliveries/{id}": {
    get: operation("webhooks", {
      operationId: "getWebhookDelivery",
      summary: "One delivery with its attempts",
      parameters: [deliveryId],
      responses: { "200": json(ref("WebhookDelivery"), "The delivery"), "404": response("NotFound") },
    }),
  },
  "/api/webhook-deliveries/{id}/redeliver": {
    post: operation("webhooks", {
      operationId: "redeliverWebhook",
      summary: "Queue the delivery's event again (same `webhook-id`) at the end of its endpoint's queue",
      parameters: [deliveryId],
      responses: { "202": json(ref("WebhookDelivery"), "The new delivery"), "404": response("NotFound") },
    }),
  },
  "/api/send": {
    post: operation("send", {
      operationId: "sendMessage",
      summary: "Build a message from JSON and store it as if it had come over SMTP",
      requestBody: body(ref("SendRequest")),
      responses: {
        "201": json(ref("StoredMessage"), 'The message as stored; its envelope has `submittedVia: "api"`'),
        "400": response("BadRequest"),
        ...bodyErrors,
      },
    }),
  },
  "/api/relay": {
    get: operation("relay", {
      operationId: "getRelay",
      summary: "Whether a relay is configured, and the recipient patterns it allows",
      responses: { "200": json(ref("RelayStatus"), "The relay"), "404": response("NotFound") },
    }),
  },
  "/api/relay/rules": {
    get: operation("relay", {
      operationId: "listRelayRules",
      summary: "Auto-relay rules",
      responses: { "200": json(ref("RelayRuleList"), "The rules"), "404": response("NotFound") },
    }),
    post: operation("relay", {
      operationId: "createRelayRule",
      summary: "Also release every message to a matching recipient",
      requestBody: body(ref("RelayRuleRequest")),
      responses: {
        "201": json(ref("RelayRule"), "The rule"),
        "400": response("BadRequest"),
        "403": refused,
        "404": response("NotFound"),
        ...bodyErrors,
      },
    }),
  },
  "/api/relay/rules/{id}": {
    delete: operation("relay", {
      operationId: "deleteRelayRule",
      summary: "Remove an auto-relay rule",
      parameters: [ruleId],
      responses: { "204": noContent, "404": response("NotFound") },
    }),
  },
  "/api/messages/{id}/release": {
    post: operation("relay", {
      operationId: "releaseMessage",
      summary: "Queue the message for the relay, byte for byte after trace header fields",
      parameters: [param("id")],
      requestBody: body(ref("ReleaseRequest")),
      responses: {
        "202": json(ref("Release"), "Queued; follow it at /api/releases/{id}"),
        "400": response("BadRequest"),
        "403": refused,
        "404": response("NotFound"),
        ...bodyErrors,
      },
    }),
  },
  "/api/messages/{id}/releases": {
    get: operation("relay", {
      operationId: "listMessageReleases",
      summary: "The message's releases with their attempts",
      parameters: [param("id"), limit],
      responses: {
        "200": json(ref("ReleaseList"), "Newest first"),
        "400": response("BadRequest"),
        "404": response("NotFound"),
      },
    }),
  },
  "/api/releases": {
    get: operation("relay", {
      operationId: "listReleases",
      summary: "Every release with its attempts",
      parameters: [limit],
      responses: {
        "200": json(ref("ReleaseList"), "Newest first"),
        "400": response("BadRequest"),
        "404": response("NotFound"),
      },
    }),
  },
  "/api/releases/{id}": {
    get: operation("relay", {
      operationId: "getRelease",
      summary: "One release with its attempts",
      parameters: [releaseId],
      responses: { "200": json(ref("Release"), "The release"), "404": response("NotFound") },
    }),
  },
  "/api/releases/{id}/retry": {
    post: operation("relay", {
      operationId: "retryRelease",
      summary: "Queue the release again (a dead one, typically)",
      parameters: [releaseId],
      responses: {
        "202": json(ref("Release"), "The new release"),
        "403": refused,
        "404": response("NotFound"),
      },
    }),
  },
};
