import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  inboxAddress,
  MAX_ADDRESS_LENGTH,
  MAX_CLIENT_FRAME_BYTES,
  MAX_SUBSCRIBED_INBOXES,
  type ServerEventData,
  type ServerEventType,
} from "@mailnest/protocol";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { EventBus } from "./bus.js";

/** A client this far behind is not reading: it is disconnected (it reconnects and resyncs) rather than buffered for. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Under the usual 30-60 s idle timeouts of proxies and load balancers. */
export const HEARTBEAT_MS = 25_000;

type Subscription = "*" | ReadonlySet<string>;

interface Client {
  socket: WebSocket;
  subscription: Subscription;
  /** Answered the last ping; a client that misses one heartbeat is gone. */
  alive: boolean;
}

export interface EventHubOptions {
  /** The store's head, sent in each client's `hello` so it knows where the stream starts. */
  head: () => number;
}

/**
 * The WebSocket hub of `/api/events` (docs/api.md, "WebSocket"): the bus's events as `{ type, data }`
 * frames, filtered by each client's subscription. Nothing is serialised when no client wants an event.
 * It owns no HTTP server: whoever does hands it the upgrades it has let through (`handleUpgrade`),
 * after its own checks of path, Host, Origin and token (`api/http/event-upgrades.ts`).
 */
export class EventHub {
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  readonly #clients = new Set<Client>();
  readonly #head: () => number;
  readonly #unsubscribes: (() => void)[];
  readonly #heartbeat: NodeJS.Timeout;
  #closing: Promise<void> | null = null;

  constructor(bus: EventBus, options: EventHubOptions) {
    this.#head = options.head;
    const inboxEvent =
      (type: "inbox.created" | "inbox.cleared" | "inbox.deleted") => (data: { address: string }) =>
        this.#broadcast(type, data, (s) => s === "*" || s.has(data.address));
    this.#unsubscribes = [
      bus.on("message.stored", (data) =>
        this.#broadcast("message.received", data, (s) => wantsAny(s, data.message.inboxes)),
      ),
      bus.on("message.updated", (data) =>
        this.#broadcast("message.updated", data, (s) => wantsAny(s, data.message.inboxes)),
      ),
      bus.on("message.deleted", (data) =>
        this.#broadcast("message.deleted", data, (s) => wantsAny(s, data.inboxes)),
      ),
      bus.on("inbox.created", inboxEvent("inbox.created")),
      bus.on("inbox.cleared", inboxEvent("inbox.cleared")),
      bus.on("inbox.deleted", inboxEvent("inbox.deleted")),
    ];
    this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS).unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Completes an upgrade the HTTP server has accepted; after `close`, the socket is dropped. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => this.#connect(ws));
  }

  /**
   * Stops listening to the bus and says goodbye (1001) to every client; clients that do not answer
   * are cut after 1 s. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    const closed = [...this.#clients].map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once("close", () => resolve());
          socket.close(1001, "server shutting down");
          setTimeout(() => socket.terminate(), 1000).unref();
        }),
    );
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #connect(socket: WebSocket): void {
    const client: Client = { socket, subscription: "*", alive: true };
    this.#clients.add(client);
    socket.on("pong", () => {
      client.alive = true;
    });
    socket.on("message", (data, isBinary) => this.#receive(client, data, isBinary));
    socket.on("close", () => this.#clients.delete(client));
    // `ws` reports protocol errors (e.g. a frame over maxPayload) here and then closes the socket itself.
    socket.on("error", () => {});
    send(client, "hello", { head: this.#head() });
  }

  #receive(client: Client, data: RawData, isBinary: boolean): void {
    const problem = this.#applyFrame(client, isBinary ? null : parseFrame(data.toString()));
    if (problem) send(client, "error", { code: "invalid_frame", message: problem });
  }

  /** Applies a client frame; returns what was wrong with it, or null. */
  #applyFrame(client: Client, frame: { type: unknown; data: unknown } | null): string | null {
    if (frame === null) return "Expected a JSON text frame { type, data }";
    if (frame.type !== "subscribe") return `Unknown frame type ${describeType(frame.type)}`;
    const subscription = parseSubscription(frame.data);
    if (subscription === null) {
      return `"subscribe" takes { "inboxes": "*" } or { "inboxes": [address, …] } (at most ${MAX_SUBSCRIBED_INBOXES})`;
    }
    client.subscription = subscription;
    send(client, "subscribed", { inboxes: subscription === "*" ? "*" : [...subscription] });
    return null;
  }

  #broadcast<K extends ServerEventType>(
    type: K,
    data: ServerEventData[K],
    wants: (subscription: Subscription) => boolean,
  ): void {
    if (this.#clients.size === 0) return;
    let frame: string | null = null;
    for (const client of this.#clients) {
      if (client.socket.readyState !== WebSocket.OPEN || !wants(client.subscription)) continue;
      if (tooFarBehind(client)) continue;
      frame ??= JSON.stringify({ type, data });
      client.socket.send(frame);
    }
  }

  #beat(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
      send(client, "heartbeat", { time: new Date().toISOString() });
    }
  }
}

/**
 * Every frame to one client goes through here or `#broadcast`, and both drop a client that is not
 * reading: the answers to its own frames count too, or a client that sends frames and never reads
 * made the server queue one answer per frame, without bound.
 */
function send<K extends ServerEventType>(client: Client, type: K, data: ServerEventData[K]): void {
  if (client.socket.readyState !== WebSocket.OPEN || tooFarBehind(client)) return;
  client.socket.send(JSON.stringify({ type, data }));
}

/** Terminates a client with more than `MAX_BUFFERED_BYTES` queued; it reconnects and resyncs. */
function tooFarBehind(client: Client): boolean {
  if (client.socket.bufferedAmount <= MAX_BUFFERED_BYTES) return false;
  client.socket.terminate();
  return true;
}

function wantsAny(subscription: Subscription, inboxes: readonly string[]): boolean {
  return subscription === "*" || inboxes.some((inbox) => subscription.has(inbox));
}

function parseFrame(text: string): { type: unknown; data: unknown } | null {
  try {
    const frame: unknown = JSON.parse(text);
    if (typeof frame !== "object" || frame === null || !("type" in frame)) return null;
    return { type: frame.type, data: "data" in frame ? frame.data : undefined };
  } catch {
    return null;
  }
}

function parseSubscription(data: unknown): Subscription | null {
  if (typeof data !== "object" || data === null || !("inboxes" in data)) return null;
  const { inboxes } = data;
  if (inboxes === "*") return "*";
  if (!Array.isArray(inboxes) || inboxes.length > MAX_SUBSCRIBED_INBOXES) return null;
  if (
    !inboxes.every(
      (inbox): inbox is string => typeof inbox === "string" && inbox.length <= MAX_ADDRESS_LENGTH,
    )
  )
    return null;
  const addresses = inboxes.map(inboxAddress);
  // A subscription to something no message can be addressed to would simply never hear anything.
  return addresses.every((address) => address !== null) ? new Set(addresses) : null;
}

/** The frame's type as the error quotes it: cut short, so an answer is never the size of the frame. */
function describeType(type: unknown): string {
  const text = JSON.stringify(type) ?? String(type);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
