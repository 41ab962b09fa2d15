import type { WebhookDelivery, WebhookDeliveryList } from "@mailnest/protocol";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../sandbox.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, startTestSandbox, tempDir, testConfig, useCleanup } from "../test-support/test-sandbox.js";
import { WebhookReceiver } from "../test-support/webhook-receiver.js";
import { signatureHeaders } from "./signing.js";
import { WebhookService, type WebhookServiceOptions } from "./webhook-service.js";

const cleanup = useCleanup();

const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 50, giveUpAfterMs: 60_000 };

/**
 * A webhook service of the test's own on the sandbox's bus and store, with fast retries. Its journal
 * is in a folder of its own (`options.dataDir`, else a fresh one), apart from the sandbox's own service.
 */
async function openWebhooks(sandbox: Sandbox, options: Partial<WebhookServiceOptions> = {}) {
  const service = await WebhookService.open({
    dataDir: options.dataDir === undefined ? await tempDir(cleanup) : options.dataDir,
    bus: sandbox.bus,
    store: sandbox.store,
    baseUrl: () => sandbox.url,
    retry: FAST_RETRY,
    ...options,
  });
  cleanup(() => service.close());
  service.start();
  return service;
}

async function sendMail(sandbox: Sandbox, count = 1, to = "hook@example.test"): Promise<string[]> {
  const client = await SmtpTestClient.open(sandbox.smtpPort);
  cleanup(() => client.destroy());
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = rfc822({ to, subject: `webhook test ${i}`, body: `body ${i}` });
    const reply = await client.sendMessage({ from: "app@example.test", to: [to], raw });
    expect(reply.code).toBe(250);
    ids.push(queuedId(reply.raw));
  }
  await client.quit();
  return ids;
}

/** Resolves with the delivery once `predicate` holds for it. */
function deliveryWhere(service: WebhookService, predicate: (delivery: WebhookDelivery) => boolean) {
  return new Promise<WebhookDelivery>((resolve) => {
    const stop = service.onDeliveryChange((delivery) => {
      if (predicate(delivery)) {
        stop();
        resolve(delivery);
      }
    });
  });
}

describe("webhooks", () => {
  it("a receiver verifies each delivery with the standardwebhooks library; a tampered body or an old timestamp fails", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const webhooks = await openWebhooks(sandbox);
    const endpoint = await webhooks.add({ url: receiver.url });
    receiver.useSecret(endpoint.secret);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const [id] = await sendMail(sandbox);
    const [request] = await receiver.waitForAccepted(1);
    expect(request!.verifyError).toBeNull();
    expect(request!.event).toMatchObject({
      type: "message.received",
      data: {
        message: { id, subject: "webhook test 0", inboxes: ["hook@example.test"] },
        links: { message: `${sandbox.url}/api/messages/${id}`, raw: `${sandbox.url}/api/messages/${id}/raw` },
      },
    });
    const headers = request!.headers as Record<string, string>;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["webhook-id"]).toMatch(/^msg_[0-9a-z]{26}$/);

    const verifier = new Webhook(endpoint.secret);
    expect(() => verifier.verify(request!.body.replace(id!, "0".repeat(26)), headers)).toThrow(
      /No matching signature found/,
    );
    // Signed correctly, but ten minutes ago: a replay, which receivers refuse.
    const old = Math.floor(Date.now() / 1000) - 600;
    const replayed = signatureHeaders(endpoint.secret, headers["webhook-id"]!, old, request!.body);
    expect(() => verifier.verify(request!.body, replayed)).toThrow(/timestamp too old/);
    expect(() => new Webhook(`whsec_${"A".repeat(32)}`).verify(request!.body, headers)).toThrow();
  });

  it("a receiver that answers 500 twice then 200 gets the event three times under one id, and the log shows each attempt", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup, { statuses: [500, 500] });
    const webhooks = await openWebhooks(sandbox);
    const endpoint = await webhooks.add({ url: receiver.url, events: ["message.received"] });
    receiver.useSecret(endpoint.secret);

    const delivered = deliveryWhere(webhooks, (delivery) => delivery.state === "delivered");
    await sendMail(sandbox);
    const delivery = await delivered;
    expect(receiver.received.map((request) => request.status)).toEqual([500, 500, 200]);
    expect(receiver.accepted).toHaveLength(1);
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"]))).toEqual(
      new Set([delivery.eventId]),
    );
    expect(delivery.attempts.map(({ attempt, status, error }) => ({ attempt, status, error }))).toEqual([
      { attempt: 1, status: 500, error: "HTTP 500" },
      { attempt: 2, status: 500, error: "HTTP 500" },
      { attempt: 3, status: 200, error: null },
    ]);
    for (const attempt of delivery.attempts) {
      expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(attempt.at)).not.toBeNaN();
    }
    expect(delivery.attempts[2]!.response).toBe("status 200");
    expect(webhooks.endpoint(endpoint.id)).toMatchObject({ pending: 0, delivered: 1, dead: 0 });
    const log: WebhookDeliveryList = { deliveries: webhooks.deliveries(endpoint.id) };
    expect(log.deliveries.map((entry) => entry.id)).toEqual([delivery.id]);
  });

  it("sends deletions and clears in order, only to endpoints that asked for them", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const everything = await WebhookReceiver.start(cleanup);
    const clearsOnly = await WebhookReceiver.start(cleanup);
    const webhooks = await openWebhooks(sandbox);
    everything.useSecret((await webhooks.add({ url: everything.url })).secret);
    clearsOnly.useSecret((await webhooks.add({ url: clearsOnly.url, events: ["inbox.cleared"] })).secret);

    const [first, second] = await sendMail(sandbox, 2, "order@example.test");
    await sandbox.store.deleteMessage(first!);
    await sandbox.store.clearInbox("order@example.test");

    const events = (await everything.waitForAccepted(5)).map((request) => request.event);
    expect(events.map((event) => event?.type)).toEqual([
      "message.received",
      "message.received",
      "message.deleted",
      "message.deleted",
      "inbox.cleared",
    ]);
    expect(events[2]).toMatchObject({ data: { id: first, inboxes: ["order@example.test"] } });
    expect(events[3]).toMatchObject({ data: { id: second } });
    const [cleared] = await clearsOnly.waitForAccepted(1);
    expect(cleared!.event).toMatchObject({ type: "inbox.cleared", data: { address: "order@example.test" } });
    expect(clearsOnly.received).toHaveLength(1);
  });

  it("changes another instance made (origin 'elsewhere', docs/scaling.md) are not sent: that instance sends them", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const [theirs] = await sendMail(sandbox, 1, "shared@example.test");
    const receiver = await WebhookReceiver.start(cleanup);
    const webhooks = await openWebhooks(sandbox);
    receiver.useSecret((await webhooks.add({ url: receiver.url })).secret);

    const elsewhere = { origin: "elsewhere" } as const;
    sandbox.bus.emit("message.stored", { message: (await sandbox.store.get(theirs!))! }, elsewhere);
    sandbox.bus.emit("message.deleted", { id: theirs!, inboxes: ["shared@example.test"] }, elsewhere);
    sandbox.bus.emit("inbox.cleared", { address: "shared@example.test" }, elsewhere);
    const [mine] = await sendMail(sandbox, 1, "shared@example.test");

    // Delivered in order: anything queued for the events above would have come first.
    const [first] = await receiver.waitForAccepted(1);
    expect(first!.event).toMatchObject({ type: "message.received", data: { message: { id: mine } } });
    expect(receiver.received).toHaveLength(1);
  });

  it("a receiver that never answers does not hold up SMTP: every message is accepted and waits in the queue", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup, { delayMs: 60_000 });
    const webhooks = await openWebhooks(sandbox, { attemptTimeoutMs: 60_000 });
    const endpoint = await webhooks.add({ url: receiver.url, events: ["message.received"] });

    const ids = await sendMail(sandbox, 30);
    expect(sandbox.store.messageCount).toBe(30);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the journal's group commit
    const log = webhooks.deliveries(endpoint.id);
    expect(log).toHaveLength(30);
    expect(log.every((delivery) => delivery.state === "pending")).toBe(true);
    // Oldest first in the queue: the one in flight is the first message's.
    expect(log.at(-1)!.payload).toMatchObject({ data: { message: { id: ids[0] } } });
    expect(receiver.received).toHaveLength(0);
  });

  it("pause holds deliveries and resume sends them in order; redeliver repeats one with the same webhook-id", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const webhooks = await openWebhooks(sandbox);
    const endpoint = await webhooks.add({ url: receiver.url, events: ["message.received"], paused: true });
    receiver.useSecret(endpoint.secret);

    const ids = await sendMail(sandbox, 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(0);
    expect(webhooks.endpoint(endpoint.id)).toMatchObject({ paused: true, pending: 3 });
    // Read while its delivery waits: the event still says what was received, as its journal record
    // (what a restart would send) does.
    await sandbox.store.setRead(ids[0]!, true);

    await webhooks.update(endpoint.id, { paused: false });
    const sent = await receiver.waitForAccepted(3);
    const messages = sent.map(
      (request) => (request.event as { data: { message: { id: string; read: boolean } } }).data.message,
    );
    expect(messages.map((message) => message.id)).toEqual(ids);
    expect(messages.map((message) => message.read)).toEqual([false, false, false]);

    const original = webhooks.deliveries(endpoint.id).at(-1)!;
    const again = await webhooks.redeliver(original.id);
    expect(again).toMatchObject({ redeliveryOf: original.id, eventId: original.eventId, state: "pending" });
    const [repeat] = (await receiver.waitForAccepted(4)).slice(3);
    expect(repeat!.headers["webhook-id"]).toBe(original.eventId);
    expect(repeat!.body).toBe(receiver.received[0]!.body);
  });

  it("an event over the payload limit is logged dead, never sent", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const webhooks = await openWebhooks(sandbox, { maxPayloadBytes: 200 });
    const endpoint = await webhooks.add({ url: receiver.url });
    const dead = deliveryWhere(webhooks, (delivery) => delivery.state === "dead");
    await sendMail(sandbox);
    const body = JSON.stringify((await dead).payload);
    expect((await dead).deadReason).toBe(
      `not sent: the body would be ${Buffer.byteLength(body)} bytes (limit 200)`,
    );
    expect((await dead).attempts).toEqual([]);
    expect(webhooks.endpoint(endpoint.id)).toMatchObject({ pending: 0, dead: 1 });
    expect(receiver.received).toEqual([]);
  });

  it("refuses URLs and secrets it cannot use, naming the field", async () => {
    const sandbox = await startTestSandbox(cleanup, { dataDir: null });
    const webhooks = await openWebhooks(sandbox);
    await expect(webhooks.add({ url: "ftp://example.test/" })).rejects.toMatchObject({
      name: "InvalidWebhookError",
      parameter: "url",
      message: 'Expected an http:// or https:// URL, got "ftp:"',
    });
    await expect(webhooks.add({ url: "http://user:pw@example.test/" })).rejects.toMatchObject({
      parameter: "url",
    });
    // Refused, not quietly rewritten into another URL; and no cloud metadata address.
    for (const [url, reason] of [
      ["http://127.0.0.1:9/x\r\nX-Injected: 1", /without spaces or control characters/],
      [" http://127.0.0.1:9/x", /without spaces or control characters/],
      ["http:/127.0.0.1:9/x", /absolute http:\/\/ or https:\/\/ URL/],
      ["http://127.0.0.1:0/x", /port 0/],
      ["http://169.254.169.254/latest/meta-data", /not link-local/],
      ["http://[fe80::1]/x", /not link-local/],
    ] as const) {
      await expect(webhooks.add({ url })).rejects.toMatchObject({ parameter: "url", message: reason });
    }
    expect((await webhooks.add({ url: "http://10.0.0.5:8080/hooks#part" })).url).toBe(
      "http://10.0.0.5:8080/hooks",
    );
    await expect(webhooks.add({ url: "http://example.test/", secret: "hunter2" })).rejects.toMatchObject({
      parameter: "secret",
    });
    await expect(
      webhooks.add({ url: "http://example.test/", events: ["message.received", "mail.sent" as never] }),
    ).rejects.toMatchObject({ parameter: "events", message: /got "mail.sent"/ });
    expect(() => webhooks.endpoint("ep_nope")).toThrow(/No webhook endpoint with id "ep_nope"/);
  });
});

describe("webhooks across restarts", () => {
  it("deliveries pending while the receiver is down survive a restart and are delivered after it", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const down = await WebhookReceiver.start(cleanup);
    const url = down.url;
    const port = down.port;
    await down.close(); // nothing listens there now: connection refused
    const journalDir = await tempDir(cleanup);
    const first = await openWebhooks(sandbox, {
      dataDir: journalDir,
      retry: { initialDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 60_000 },
    });
    const endpoint = await first.add({ url, events: ["message.received"] });
    const failed = deliveryWhere(first, (delivery) => delivery.attempts.length >= 2);
    const ids = await sendMail(sandbox, 3);
    expect((await failed).attempts[0]!.error).toMatch(/ECONNREFUSED/);
    await first.close();
    await sandbox.close();

    const receiver = await WebhookReceiver.start(cleanup, { secret: endpoint.secret }, port);
    const restarted = await startSandbox(testConfig(sandbox.dataDir));
    cleanup(() => restarted.close());
    const again = await openWebhooks(restarted, {
      dataDir: journalDir,
      retry: { initialDelayMs: 50, maxDelayMs: 100, giveUpAfterMs: 60_000 },
    });
    const received = await receiver.waitForAccepted(3);
    expect(received.every((request) => request.verifyError === null)).toBe(true);
    expect(
      received.map((request) => (request.event as { data: { message: { id: string } } }).data.message.id),
    ).toEqual(ids);
    expect(again.endpoint(endpoint.id)).toMatchObject({ url, source: "api" });
  });

  it("a message stored while nothing had recorded its delivery (a crash in that window) is delivered at the next start", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const journalDir = await tempDir(cleanup);
    const first = await openWebhooks(sandbox, { dataDir: journalDir });
    const endpoint = await first.add({ url: receiver.url, events: ["message.received"] });
    receiver.useSecret(endpoint.secret);
    const delivered = deliveryWhere(first, (delivery) => delivery.state === "delivered");
    const [before] = await sendMail(sandbox);
    await delivered;
    // The webhook layer is gone (as after a kill -9 just after the 250), the store is not.
    await first.close();
    const [missed] = await sendMail(sandbox);

    await openWebhooks(sandbox, { dataDir: journalDir });
    const received = await receiver.waitForAccepted(2);
    expect(
      received.map((request) => (request.event as { data: { message: { id: string } } }).data.message.id),
    ).toEqual([before, missed]);
    expect(receiver.received).toHaveLength(2);
  });

  it("with catchUp off (a store shared by several instances) a restart queues nothing from the store", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const receiver = await WebhookReceiver.start(cleanup);
    const journalDir = await tempDir(cleanup);
    const first = await openWebhooks(sandbox, { dataDir: journalDir, catchUp: false });
    const endpoint = await first.add({ url: receiver.url, events: ["message.received"] });
    receiver.useSecret(endpoint.secret);
    const delivered = deliveryWhere(first, (delivery) => delivery.state === "delivered");
    const [before] = await sendMail(sandbox);
    await delivered;
    await first.close();
    // Stored while this service was away: on a shared store, by another instance, which sends it.
    await sendMail(sandbox);

    await openWebhooks(sandbox, { dataDir: journalDir, catchUp: false });
    const [after] = await sendMail(sandbox);
    // In order: a caught-up delivery would have come before `after`.
    const received = await receiver.waitForAccepted(2);
    expect(
      received.map((request) => (request.event as { data: { message: { id: string } } }).data.message.id),
    ).toEqual([before, after]);
    expect(receiver.received).toHaveLength(2);
  });

  it("--webhook endpoints are recreated from the flags: kept with their secret, or removed when no longer given", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const journalDir = await tempDir(cleanup);
    const first = await openWebhooks(sandbox, {
      dataDir: journalDir,
      cliEndpoints: [{ url: "http://127.0.0.1:9/a" }, { url: "http://127.0.0.1:9/b" }],
    });
    const [a, b] = first.endpoints();
    expect([a?.source, b?.source]).toEqual(["cli", "cli"]);
    const secretA = first.secret(a!.id);
    await first.close();

    const second = await openWebhooks(sandbox, {
      dataDir: journalDir,
      cliEndpoints: [{ url: "http://127.0.0.1:9/a" }],
    });
    expect(second.endpoints().map((endpoint) => endpoint.url)).toEqual(["http://127.0.0.1:9/a"]);
    expect(second.secret(a!.id)).toBe(secretA);

    // What the next start would undo, dropping the queue with it, is refused; the rest is kept.
    await expect(second.update(a!.id, { url: "http://127.0.0.1:9/moved" })).rejects.toThrow(
      /comes from --webhook, which sets its URL/,
    );
    await expect(second.remove(a!.id)).rejects.toThrow(/comes from --webhook, which would add it again/);
    expect(await second.update(a!.id, { url: "http://127.0.0.1:9/a", paused: true })).toMatchObject({
      paused: true,
    });
    expect(second.endpoints().map((endpoint) => endpoint.id)).toEqual([a!.id]);
  });
});
