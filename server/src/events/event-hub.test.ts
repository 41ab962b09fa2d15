import { randomBytes } from "node:crypto";
import { connect as connectTcp } from "node:net";
import { describe, expect, it } from "vitest";
import type WebSocket from "ws";
import type { MessageSummary } from "../store/model.js";
import { ApiHarness, inboxPath } from "../test-support/api-harness.js";
import { EventClient, wsUrl } from "../test-support/event-client.js";
import { useCleanup } from "../test-support/test-sandbox.js";
import { MAX_BUFFERED_BYTES } from "./event-hub.js";

const cleanup = useCleanup();
const connect = (url: string, options?: WebSocket.ClientOptions) =>
  EventClient.connect(cleanup, url, options);

describe("WebSocket /api/events", () => {
  it("greets with the head and streams message.received for every inbox by default", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "before" });
    const client = await connect(wsUrl(api));
    expect(await client.next()).toEqual({ type: "hello", data: { head: 1 } });

    await api.send({ to: ["ann@example.test", "bob@example.test"], subject: "hello both" });
    const frame = await client.nextOf("message.received");
    expect(frame.data.message).toMatchObject({
      subject: "hello both",
      sequence: 2,
      inboxes: ["ann@example.test", "bob@example.test"],
    });
    expect(frame.data.message).not.toHaveProperty("text");
  });

  it("delivers only subscribed inboxes, and unsubscribing stops message events", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await connect(wsUrl(api));
    await client.nextOf("hello");

    expect(await client.subscribe(["Ann@Example.test"])).toEqual({
      type: "subscribed",
      data: { inboxes: ["ann@example.test"] },
    });
    await api.send({ to: "bob@example.test", subject: "for bob" });
    await api.send({ to: "ann@example.test", subject: "for ann" });
    expect((await client.nextOf("message.received")).data.message?.subject).toBe("for ann");

    expect((await client.subscribe([])).data).toEqual({ inboxes: [] });
    await api.send({ to: "ann@example.test", subject: "while unsubscribed" });
    expect((await client.subscribe("*")).data).toEqual({ inboxes: "*" });
    await api.send({ to: "bob@example.test", subject: "after resubscribing" });
    // Frames arrive in order: had the unsubscribed message been sent, it would come first.
    expect((await client.nextOf("message.received")).data.message?.subject).toBe("after resubscribing");
  });

  it("announces read flags, deletions and inbox changes, filtered by subscription", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await connect(wsUrl(api));
    await client.nextOf("hello");
    await client.subscribe(["ann@example.test"]);
    const id = await api.send({ to: "ann@example.test", subject: "one" });
    await client.nextOf("message.received");

    await api.json(`/api/messages/${id}`, { method: "PATCH", body: { read: true } });
    expect((await client.nextOf("message.updated")).data.message).toMatchObject({ id, read: true });
    await api.fetch(inboxPath("bob@example.test", "/messages"), { method: "DELETE" });
    await api.fetch(inboxPath("ann@example.test", "/messages"), { method: "DELETE" });
    const deleted = await client.nextOf("message.deleted", "inbox.cleared");
    expect(deleted).toEqual({ type: "message.deleted", data: { id, inboxes: ["ann@example.test"] } });
    expect(await client.nextOf("inbox.cleared")).toEqual({
      type: "inbox.cleared",
      data: { address: "ann@example.test" },
    });
  });

  it("answers an unusable frame with an error frame and keeps the connection", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await connect(wsUrl(api));
    await client.nextOf("hello");
    client.socket.send("not json");
    expect((await client.next()).data).toMatchObject({ code: "invalid_frame" });
    client.socket.send(JSON.stringify({ type: "dance" }));
    expect((await client.next()).data).toMatchObject({ code: "invalid_frame" });
    expect((await client.subscribe(["not an address", 3] as unknown as string[])).type).toBe("error");
    // Strings that no message can be addressed to are refused too, not subscribed to in silence.
    expect((await client.subscribe(["not an address"])).type).toBe("error");
    expect((await client.subscribe(["ann@example.test", "<b@x"])).type).toBe("error");
    expect((await client.subscribe(['"john doe"@example.test'])).type).toBe("subscribed");
    expect((await client.subscribe("*")).type).toBe("subscribed");
  });

  it("closes the connection (1009) when a client frame exceeds 64 KiB", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await connect(wsUrl(api));
    await client.nextOf("hello");
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
    client.socket.send(JSON.stringify({ type: "subscribe", data: { inboxes: ["x".repeat(70 * 1024)] } }));
    expect(await closed).toBe(1009);
  });

  it("disconnects a client that stops reading instead of buffering frames for it without bound", async () => {
    const api = await ApiHarness.start(cleanup);
    // A hand-made WebSocket client that completes the upgrade and then never reads again.
    const { port } = new URL(api.url);
    const socket = connectTcp(Number(port), "127.0.0.1");
    cleanup(() => socket.destroy());
    const key = randomBytes(16).toString("base64");
    socket.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve) => {
      let seen = "";
      socket.on("data", function onData(chunk: Buffer) {
        seen += chunk.toString("latin1");
        if (!seen.includes("\r\n\r\n")) return;
        expect(seen).toMatch(/^HTTP\/1\.1 101 /);
        socket.off("data", onData);
        socket.pause();
        resolve();
      });
    });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));

    // Far more than the kernel's socket buffers plus the server's bound: 1 KiB summaries.
    const summary = { subject: "x".repeat(1024), inboxes: ["slow@x.test"] } as unknown as MessageSummary;
    const frames = Math.ceil((4 * MAX_BUFFERED_BYTES) / 1024);
    for (let i = 0; i < frames; i++) api.sandbox.bus.emit("message.stored", { message: summary });

    socket.resume(); // drain what was sent before the cut: the server must have ended the connection
    await closed;
  });

  it("disconnects a client that sends frames and never reads the answers, instead of queueing them", async () => {
    const api = await ApiHarness.start(cleanup);
    const { port } = new URL(api.url);
    const socket = connectTcp(Number(port), "127.0.0.1");
    cleanup(() => socket.destroy());
    socket.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.pause(); // from here on nothing is read: every answer stays queued on the server
    let closed = false;
    socket.once("close", () => {
      closed = true;
    });
    socket.on("error", () => {}); // the reset that ends it, seen by a write in flight
    // Each frame subscribes to 1,000 addresses (about 40 KB), and each answer repeats them.
    const inboxes = Array.from({ length: 1000 }, (_, i) => `reader-${String(i).padStart(4, "0")}@x.test`);
    const frame = maskedTextFrame(JSON.stringify({ type: "subscribe", data: { inboxes } }));
    const bound = Math.ceil((8 * MAX_BUFFERED_BYTES) / frame.length);
    for (let sent = 0; sent < bound && !closed; sent++) {
      if (!socket.write(frame)) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await expect.poll(() => closed, { timeout: 10_000 }).toBe(true);
  });

  it("says goodbye with 1001 when the server closes", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await connect(wsUrl(api));
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
    await api.http.close();
    expect(await closed).toBe(1001);
  });
});

/** A client's text frame (RFC 6455 section 5.2): masked, with a 16-bit length (payloads up to 64 KiB). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  if (payload.length >= 65_536) throw new Error("maskedTextFrame: payload too long for a 16-bit length");
  const mask = randomBytes(4);
  const header = Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}
