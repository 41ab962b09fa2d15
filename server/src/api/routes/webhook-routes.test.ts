import type {
  CreatedWebhookEndpoint,
  ErrorBody,
  StoredMessage,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookSecret,
} from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../../test-support/fetch-json.js";
import { startTestSandbox, useCleanup } from "../../test-support/test-sandbox.js";
import { WebhookReceiver } from "../../test-support/webhook-receiver.js";

const cleanup = useCleanup();

describe("webhook routes", () => {
  it("add, list, pause, read the secret and the delivery log, redeliver, delete", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const api = (method: string, path: string, body?: unknown) => fetchJson(sandbox.url, method, path, body);

    const created = await api("POST", "/api/webhooks", {
      url: receiver.url,
      events: ["message.received"],
      description: "ci",
    });
    expect(created.status).toBe(201);
    const endpoint = created.body as CreatedWebhookEndpoint;
    expect(endpoint).toMatchObject({
      url: receiver.url,
      events: ["message.received"],
      allEvents: false,
      paused: false,
      source: "api",
    });
    receiver.useSecret(endpoint.secret);
    expect(((await api("GET", `/api/webhooks/${endpoint.id}/secret`)).body as WebhookSecret).secret).toBe(
      endpoint.secret,
    );
    const listed = (await api("GET", "/api/webhooks")).body as WebhookEndpointList;
    expect(listed.endpoints.map((entry) => entry.id)).toEqual([endpoint.id]);
    expect(listed.endpoints[0]).not.toHaveProperty("secret");

    // Mail sent through the API triggers the webhook like SMTP mail.
    const sent = await api("POST", "/api/send", {
      from: "app@example.test",
      to: ["hook@example.test"],
      subject: "via api",
    });
    expect(sent.status).toBe(201);
    const [request] = await receiver.waitForAccepted(1);
    expect(request!.event).toMatchObject({
      type: "message.received",
      data: { message: { subject: "via api" } },
    });

    let log = (await api("GET", `/api/webhooks/${endpoint.id}/deliveries`)).body as WebhookDeliveryList;
    for (let i = 0; i < 50 && log.deliveries[0]?.state !== "delivered"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      log = (await api("GET", `/api/webhooks/${endpoint.id}/deliveries`)).body as WebhookDeliveryList;
    }
    const [delivery] = log.deliveries;
    expect(delivery).toMatchObject({
      endpointId: endpoint.id,
      eventType: "message.received",
      state: "delivered",
      attempts: [{ attempt: 1, status: 200, error: null }],
    });
    expect(delivery!.payload).toMatchObject({ data: { message: { id: (sent.body as StoredMessage).id } } });
    expect((await api("GET", `/api/webhook-deliveries/${delivery!.id}`)).body).toMatchObject({
      id: delivery!.id,
    });

    // Back to every kind, later ones included, with events: null.
    const everything = await api("PATCH", `/api/webhooks/${endpoint.id}`, { events: null });
    expect(everything.body).toMatchObject({ allEvents: true });
    expect(
      (await api("PATCH", `/api/webhooks/${endpoint.id}`, { events: ["message.received"] })).body,
    ).toMatchObject({
      allEvents: false,
      events: ["message.received"],
    });
    const paused = await api("PATCH", `/api/webhooks/${endpoint.id}`, { paused: true });
    expect((paused.body as WebhookEndpoint).paused).toBe(true);
    const elsewhere = await api("POST", `/api/webhook-deliveries/${delivery!.id}/redeliver`, {
      endpoint: "ep_other",
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ error: { code: "invalid_parameter", parameter: "endpoint" } });
    const redelivered = await api("POST", `/api/webhook-deliveries/${delivery!.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({
      redeliveryOf: delivery!.id,
      eventId: delivery!.eventId,
      state: "pending",
    });
    expect(((await api("GET", `/api/webhooks/${endpoint.id}`)).body as WebhookEndpoint).pending).toBe(1);
    await api("PATCH", `/api/webhooks/${endpoint.id}`, { paused: false });
    const [, again] = await receiver.waitForAccepted(2);
    expect(again!.headers["webhook-id"]).toBe(delivery!.eventId);

    expect((await api("DELETE", `/api/webhooks/${endpoint.id}`)).status).toBe(204);
    expect((await api("GET", `/api/webhooks/${endpoint.id}`)).status).toBe(404);
    expect(((await api("GET", "/api/webhooks")).body as WebhookEndpointList).endpoints).toEqual([]);
  });

  it("answers 400 naming the field, and 404 for ids that do not exist", async () => {
    const sandbox = await startTestSandbox(cleanup, { dataDir: null });
    const api = (method: string, path: string, body?: unknown) => fetchJson(sandbox.url, method, path, body);
    const bad = await api("POST", "/api/webhooks", { url: "file:///etc/passwd" });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error).toMatchObject({ code: "invalid_parameter", parameter: "url" });
    const events = await api("POST", "/api/webhooks", { url: "http://127.0.0.1:9/", events: ["everything"] });
    expect((events.body as ErrorBody).error).toMatchObject({
      code: "invalid_parameter",
      parameter: "events",
    });
    expect((await api("GET", "/api/webhooks/ep_00000000000000000000000000")).status).toBe(404);
    expect((await api("GET", "/api/webhooks/nonsense")).status).toBe(404);
    expect(
      (await api("POST", "/api/webhook-deliveries/dl_00000000000000000000000000/redeliver")).status,
    ).toBe(404);
    const limit = await api("GET", "/api/webhooks/ep_00000000000000000000000000/deliveries?limit=0");
    expect(limit.status).toBe(400);
  });

  it("refuses unknown fields naming them, and PATCH moves an endpoint to a new URL and secret", async () => {
    const sandbox = await startTestSandbox(cleanup, { dataDir: null });
    const receiver = await WebhookReceiver.start(cleanup);
    const api = (method: string, path: string, body?: unknown) => fetchJson(sandbox.url, method, path, body);

    const misspelt = await api("POST", "/api/webhooks", { url: receiver.url, event: ["message.received"] });
    expect(misspelt.status).toBe(400);
    expect((misspelt.body as ErrorBody).error).toMatchObject({
      code: "invalid_parameter",
      parameter: "event",
      message: 'Unknown field "event"; expected some of url, events, description, secret, paused',
    });
    expect(((await api("GET", "/api/webhooks")).body as WebhookEndpointList).endpoints).toEqual([]);

    const created = (await api("POST", "/api/webhooks", { url: "http://127.0.0.1:9/old" }))
      .body as CreatedWebhookEndpoint;
    const bogus = await api("PATCH", `/api/webhooks/${created.id}`, { bogus: 1 });
    expect((bogus.body as ErrorBody).error).toMatchObject({ code: "invalid_parameter", parameter: "bogus" });

    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const moved = await api("PATCH", `/api/webhooks/${created.id}`, { url: receiver.url, secret });
    expect(moved.status).toBe(200);
    expect((moved.body as WebhookEndpoint).url).toBe(receiver.url);
    expect(((await api("GET", `/api/webhooks/${created.id}/secret`)).body as WebhookSecret).secret).toBe(
      secret,
    );
    receiver.useSecret(secret);
    await api("POST", "/api/send", { from: "app@example.test", to: ["hook@example.test"], subject: "moved" });
    const [request] = await receiver.waitForAccepted(1);
    expect(request!.event).toMatchObject({ data: { message: { subject: "moved" } } });
  });
});
