import {
  apiPaths,
  type CreatedWebhookEndpoint,
  type CreateWebhookRequest,
  type UpdateWebhookRequest,
  type WebhookDelivery,
  type WebhookDeliveryList,
  type WebhookEndpoint,
  type WebhookEndpointList,
  type WebhookSecret,
} from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";
import { describeValue } from "../util/describe.js";

/**
 * Webhook endpoints and their delivery logs (`mail.webhooks`, docs/integrations.md). Deliveries are
 * signed with the Standard Webhooks scheme: verify them with the `standardwebhooks` package and the
 * secret that `add` returns.
 * @example
 * const hook = await mail.webhooks.add({ url: "http://127.0.0.1:9000/hooks", events: ["message.received"] });
 * // …receiver verifies with new Webhook(hook.secret).verify(body, headers)…
 * const [delivery] = await mail.webhooks.deliveries(hook.id);
 */
export class Webhooks {
  readonly #http: HttpClient;

  /** @internal Made by `Mailnest`. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Adds an endpoint; the answer carries its `whsec_` signing secret. */
  add(options: CreateWebhookRequest): Promise<CreatedWebhookEndpoint> {
    if (typeof options !== "object" || options === null || typeof options.url !== "string") {
      throw new TypeError(
        `Expected webhook options such as { url: "http://127.0.0.1:9000/hooks" }; got ${describeValue(options)}`,
      );
    }
    return this.#http.json<CreatedWebhookEndpoint>("POST", apiPaths.webhooks(), { body: options });
  }

  async list(): Promise<WebhookEndpoint[]> {
    return (await this.#http.json<WebhookEndpointList>("GET", apiPaths.webhooks())).endpoints;
  }

  get(id: string): Promise<WebhookEndpoint> {
    return this.#http.json<WebhookEndpoint>("GET", apiPaths.webhook(checkId(id, "endpoint")));
  }

  update(id: string, changes: UpdateWebhookRequest): Promise<WebhookEndpoint> {
    return this.#http.json<WebhookEndpoint>("PATCH", apiPaths.webhook(checkId(id, "endpoint")), {
      body: changes,
    });
  }

  /** Holds deliveries (they keep queueing) until `resume`. */
  pause(id: string): Promise<WebhookEndpoint> {
    return this.update(id, { paused: true });
  }

  /** Sends what was held, in order, and everything after. */
  resume(id: string): Promise<WebhookEndpoint> {
    return this.update(id, { paused: false });
  }

  /** Deletes the endpoint with its pending deliveries and log. */
  async remove(id: string): Promise<void> {
    await this.#http.send("DELETE", apiPaths.webhook(checkId(id, "endpoint")));
  }

  async secret(id: string): Promise<string> {
    return (await this.#http.json<WebhookSecret>("GET", apiPaths.webhookSecret(checkId(id, "endpoint"))))
      .secret;
  }

  /** The endpoint's delivery log, newest first, each with every attempt. */
  async deliveries(id: string, options: { limit?: number } = {}): Promise<WebhookDelivery[]> {
    const query = options.limit === undefined ? {} : { limit: options.limit };
    const path = apiPaths.webhookDeliveries(checkId(id, "endpoint"));
    return (await this.#http.json<WebhookDeliveryList>("GET", path, { query })).deliveries;
  }

  delivery(id: string): Promise<WebhookDelivery> {
    return this.#http.json<WebhookDelivery>("GET", apiPaths.webhookDelivery(checkId(id, "delivery")));
  }

  /** Queues the delivery's event again (same `webhook-id`) at the end of its endpoint's queue. */
  redeliver(id: string): Promise<WebhookDelivery> {
    return this.#http.json<WebhookDelivery>("POST", apiPaths.webhookRedeliver(checkId(id, "delivery")));
  }
}

export function checkId(id: unknown, kind: string): string {
  if (typeof id !== "string" || id === "")
    throw new TypeError(`Expected a ${kind} id; got ${describeValue(id)}`);
  return id;
}
