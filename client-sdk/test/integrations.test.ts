import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isHttpError, type Release, type WebhookEvent } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const servers: TestServer[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const server of servers.splice(0)) await server.close();
});

async function server(overrides: Parameters<typeof startTestServer>[0] = {}) {
  const started = await startTestServer(overrides);
  servers.push(started);
  return started;
}

/** A receiver that records each event and its `webhook-signature` (the server's tests verify those). */
async function receiver() {
  const events: WebhookEvent[] = [];
  const signatures: string[] = [];
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString()) as WebhookEvent);
      signatures.push(String(request.headers["webhook-signature"]));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => http.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks`,
    events,
    signatures,
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("condition not met in 5 s");
}

describe("mail.send, mail.webhooks, message.release", () => {
  it("a sent message can be waited for, and a webhook endpoint receives it", async () => {
    const { mail } = await server();
    const hooks = await receiver();
    const endpoint = await mail.webhooks.add({ url: hooks.url, events: ["message.received"] });
    expect(await mail.webhooks.secret(endpoint.id)).toBe(endpoint.secret);

    const inbox = await mail.createInbox();
    const waiting = inbox.waitForMessage({ subject: "Your code" });
    const sent = await mail.send({
      from: "App <app@example.test>",
      to: inbox.address,
      subject: "Your code",
      text: "Your code is 123456",
      attachments: [{ filename: "note.txt", content: "plain text attachment" }],
    });
    expect(sent.envelope.submittedVia).toBe("api");
    const received = await waiting;
    expect(received.id).toBe(sent.id);
    expect(received.code()).toBe("123456");
    expect(received.attachments.map((attachment) => attachment.filename)).toEqual(["note.txt"]);

    const [delivery] = await until(
      () => mail.webhooks.deliveries(endpoint.id),
      (log) => log[0]?.state === "delivered",
    );
    expect(delivery!.attempts).toHaveLength(1);
    expect(hooks.events).toMatchObject([{ type: "message.received", data: { message: { id: sent.id } } }]);
    expect(hooks.signatures[0]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    await mail.webhooks.pause(endpoint.id);
    expect((await mail.webhooks.get(endpoint.id)).paused).toBe(true);
    await mail.webhooks.remove(endpoint.id);
    expect(await mail.webhooks.list()).toEqual([]);
  });

  it("message.release sends to an allowed recipient and is refused for any other", async () => {
    const device = await server();
    const { mail } = await server({
      relay: { url: `smtp://127.0.0.1:${device.sandbox.smtpPort}?starttls=off`, allow: ["*@device.test"] },
    });
    expect(await mail.relay.status()).toMatchObject({ configured: true, allow: ["*@device.test"] });
    const message = await mail.send({
      from: "app@staging.test",
      to: "user@staging.test",
      subject: "release me",
    });

    const error = await message.release("boss@elsewhere.test").catch((caught: unknown) => caught);
    expect(isHttpError(error) && error.status).toBe(403);

    const queued = await message.release(["qa@device.test"]);
    const done = await until(
      () => mail.relay.get(queued.id),
      (release: Release) => release.state !== "pending",
    );
    expect(done.state).toBe("delivered");
    expect((await message.releases()).map((release) => release.id)).toEqual([queued.id]);
    const phone = await device.mail.inbox("qa@device.test", { since: 0 });
    const arrived = await phone.waitForMessage({ subject: "release me" });
    expect(arrived.headers.get("X-Mailnest-Released-Message")).toBe(message.id);
  });
});
