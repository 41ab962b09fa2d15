import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { MessageSummary } from "../store/model.js";
import { ApiHarness, inboxPath } from "../test-support/api-harness.js";
import { useCleanup } from "../test-support/test-sandbox.js";
import { MAX_BUFFERED_BYTES, requestPath } from "./event-socket.js";

const cleanup = useCleanup();

interface Frame {
  type: string;
  data: Record<string, unknown> & { message?: { subject: string; inboxes: string[] } };
}

/** A connected client that queues every frame it receives, so a test can take them in order. */
class EventClient {
  readonly frames: Frame[] = [];
  readonly #waiting: ((frame: Frame) => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const waiter = this.#waiting.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<EventClient> {
    const socket = new WebSocket(url, options);
    cleanup(() => socket.terminate());
    const client = new EventClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  next(): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame within 10 s")), 10_000);
      this.#waiting.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** The next frame of one of `types`, skipping others (heartbeats, inbox events). */
  async nextOf(...types: string[]): Promise<Frame> {
    for (let skipped = 0; skipped < 100; skipped++) {
      const frame = await this.next();
      if (types.includes(frame.type)) return frame;
    }
    throw new Error(`no ${types.join("/")} frame among 100`);
  }

  async subscribe(inboxes: string[] | "*"): Promise<Frame> {
    this.socket.send(JSON.stringify({ type: "subscribe", data: { inboxes } }));
    return this.nextOf("subscribed", "error");
  }
}

function wsUrl(api: ApiHarness, path = "/api/events"): string {
  return `${api.url.replace(/^http/, "ws")}${path}`;
}

/** The HTTP status of a refused upgrade. */
function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    socket.once("error", () => {});
  });
}

describe("WebSocket /api/events", () => {
  it("greets with the head and streams message.received for every inbox by default", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "before" });
    const client = await EventClient.connect(wsUrl(api));
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
    const client = await EventClient.connect(wsUrl(api));
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
    const client = await EventClient.connect(wsUrl(api));
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
    const client = await EventClient.connect(wsUrl(api));
    await client.nextOf("hello");
    client.socket.send("not json");
    expect((await client.next()).data).toMatchObject({ code: "invalid_frame" });
    client.socket.send(JSON.stringify({ type: "dance" }));
    expect((await client.next()).data).toMatchObject({ code: "invalid_frame" });
    expect((await client.subscribe(["not an address", 3] as unknown as string[])).type).toBe("error");
    expect((await client.subscribe("*")).type).toBe("subscribed");
  });

  it("closes the connection (1009) when a client frame exceeds 64 KiB", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await EventClient.connect(wsUrl(api));
    await client.nextOf("hello");
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
    client.socket.send(JSON.stringify({ type: "subscribe", data: { inboxes: ["x".repeat(70 * 1024)] } }));
    expect(await closed).toBe(1009);
  });

  it("refuses a foreign Origin with 403 and admits its own origin and configured CORS origins", async () => {
    const api = await ApiHarness.start(cleanup, { corsOrigins: ["http://viewer.localhost:5173"] });
    expect(await refusedStatus(wsUrl(api), { origin: "https://evil.example" })).toBe(403);
    expect(await refusedStatus(wsUrl(api), { origin: "null" })).toBe(403);
    // Same host name, other port: another origin.
    expect(await refusedStatus(wsUrl(api), { origin: "http://127.0.0.1:1" })).toBe(403);

    for (const origin of [api.url, "http://viewer.localhost:5173"]) {
      const client = await EventClient.connect(wsUrl(api), { origin });
      expect((await client.next()).type).toBe("hello");
    }
  });

  it("refuses a Host a loopback server should never see (DNS rebinding)", async () => {
    const api = await ApiHarness.start(cleanup);
    const rebound = "rebind.attacker.example";
    // No Origin at all (a non-browser client would pass), so only the Host check can refuse it.
    expect(await refusedStatus(wsUrl(api), { headers: { host: rebound } })).toBe(403);
    const local = await EventClient.connect(wsUrl(api), { headers: { host: `localhost:${api.http.port}` } });
    expect((await local.next()).type).toBe("hello");
  });

  it("requires the token when one is set, by header or ?token=", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    expect(await refusedStatus(wsUrl(api))).toBe(401);
    expect(await refusedStatus(wsUrl(api, "/api/events?token=wrong"))).toBe(401);

    const byQuery = await EventClient.connect(wsUrl(api, "/api/events?token=s3cret"));
    expect((await byQuery.next()).type).toBe("hello");
    const byHeader = await EventClient.connect(wsUrl(api), { headers: { authorization: "Bearer s3cret" } });
    expect((await byHeader.next()).type).toBe("hello");
  });

  it("matches the decoded, normalised path only", async () => {
    const api = await ApiHarness.start(cleanup);
    const encoded = await EventClient.connect(wsUrl(api, "/api/%65vents"));
    expect((await encoded.next()).type).toBe("hello");
    for (const path of ["/api/eventsx", "/API/events", "/api/events/more", "/api"]) {
      expect(await refusedStatus(wsUrl(api, path))).toBe(404);
    }
  });

  it("disconnects a client that stops reading instead of buffering frames for it without bound", async () => {
    const api = await ApiHarness.start(cleanup);
    // A hand-made WebSocket client that completes the upgrade and then never reads again.
    const { port } = new URL(api.url);
    const socket = connect(Number(port), "127.0.0.1");
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

  it("says goodbye with 1001 when the server closes", async () => {
    const api = await ApiHarness.start(cleanup);
    const client = await EventClient.connect(wsUrl(api));
    const closed = new Promise<number>((resolve) => client.socket.once("close", (code) => resolve(code)));
    await api.http.close();
    expect(await closed).toBe(1001);
  });
});

describe("requestPath", () => {
  it("decodes percent-escapes, removes dot segments and trailing slashes", () => {
    expect(requestPath("/api/events?token=x")).toBe("/api/events");
    expect(requestPath("/api/%65vents/")).toBe("/api/events");
    expect(requestPath("/x/../api/events")).toBe("/api/events");
    expect(requestPath("/x/%2e%2e/api/events")).toBe("/api/events");
    expect(requestPath("/api/%2e%2e%2fapi/events")).toBe("/api/events");
    expect(requestPath("/api/%E0%A4%A")).toBeNull();
  });
});
