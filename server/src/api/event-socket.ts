import type { IncomingMessage, Server } from "node:http";
import path from "node:path";
import type { Duplex } from "node:stream";
import { normalizeAddress } from "@mailnest/protocol";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { MailnestConfig } from "../config.js";
import type { EventBus } from "../events/bus.js";
import type { MessageStore } from "../store/message-store.js";
import { ApiToken } from "./http/api-token.js";
import { hostHeaderAllowed, originAllowed } from "./http/origin-policy.js";

export const EVENTS_PATH = "/api/events";
/** Client frames are subscription changes: a few KiB at most. Bigger ones close the connection (1009). */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
/** A client this far behind is not reading: it is disconnected (it reconnects and resyncs) rather than buffered for. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Under the usual 30-60 s idle timeouts of proxies and load balancers. */
export const HEARTBEAT_MS = 25_000;
const MAX_SUBSCRIBED_INBOXES = 1000;

type Subscription = "*" | ReadonlySet<string>;

interface Client {
  socket: WebSocket;
  subscription: Subscription;
  /** Answered the last ping; a client that misses one heartbeat is gone. */
  alive: boolean;
}

export interface EventSocketDeps {
  config: MailnestConfig;
  store: MessageStore;
  bus: EventBus;
}

/**
 * `/api/events` (docs/api.md, "WebSocket"): the store's events as `{ type, data }` frames, filtered
 * by each client's subscription. Nothing is serialised when no client wants an event.
 */
export class EventSocket {
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  readonly #clients = new Set<Client>();
  readonly #deps: EventSocketDeps;
  readonly #token: ApiToken | null;
  readonly #unsubscribes: (() => void)[];
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.#upgrade(req, socket, head);
  readonly #httpServer: Server;

  constructor(httpServer: Server, deps: EventSocketDeps) {
    this.#httpServer = httpServer;
    this.#deps = deps;
    this.#token = deps.config.apiToken === null ? null : new ApiToken(deps.config.apiToken);
    httpServer.on("upgrade", this.#onUpgrade);
    const { bus } = deps;
    const inboxEvent = (type: string) => (data: { address: string }) =>
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

  /** Says goodbye (1001) to every client and stops listening; clients that do not answer are cut after 1 s. */
  async close(): Promise<void> {
    this.#httpServer.off("upgrade", this.#onUpgrade);
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

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const refusal = this.#refusal(req);
    if (refusal) {
      refuse(socket, ...refusal);
      return;
    }
    this.#server.handleUpgrade(req, socket, head, (ws) => this.#connect(ws));
  }

  /** Why an upgrade is refused, or null: path, then Host, then Origin, then token. */
  #refusal(req: IncomingMessage): [status: number, code: string, message: string] | null {
    const { config } = this.#deps;
    if (requestPath(req.url) !== EVENTS_PATH) return [404, "not_found", "No WebSocket at this path"];
    if (!hostHeaderAllowed(config.host, req.headers.host))
      return [403, "forbidden", "Host is not a loopback name"];
    if (!originAllowed(req.headers.origin, req.headers.host, config.corsOrigins)) {
      return [403, "forbidden", "Origin not allowed"];
    }
    if (this.#token && !this.#token.admits(req, true)) {
      return [401, "unauthorized", "This server requires an API token: ?token=<token>"];
    }
    return null;
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
    send(client, "hello", { head: this.#deps.store.head });
  }

  #receive(client: Client, data: RawData, isBinary: boolean): void {
    const problem = this.#applyFrame(client, isBinary ? null : parseFrame(data.toString()));
    if (problem) send(client, "error", { code: "invalid_frame", message: problem });
  }

  /** Applies a client frame; returns what was wrong with it, or null. */
  #applyFrame(client: Client, frame: { type: unknown; data: unknown } | null): string | null {
    if (frame === null) return "Expected a JSON text frame { type, data }";
    if (frame.type !== "subscribe") return `Unknown frame type ${JSON.stringify(frame.type)}`;
    const subscription = parseSubscription(frame.data);
    if (subscription === null) {
      return `"subscribe" takes { "inboxes": "*" } or { "inboxes": [address, …] } (at most ${MAX_SUBSCRIBED_INBOXES})`;
    }
    client.subscription = subscription;
    send(client, "subscribed", { inboxes: subscription === "*" ? "*" : [...subscription] });
    return null;
  }

  #broadcast(type: string, data: object, wants: (subscription: Subscription) => boolean): void {
    if (this.#clients.size === 0) return;
    let frame: string | null = null;
    for (const client of this.#clients) {
      if (client.socket.readyState !== WebSocket.OPEN || !wants(client.subscription)) continue;
      if (client.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        client.socket.terminate();
        continue;
      }
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

function send(client: Client, type: string, data: object): void {
  if (client.socket.readyState === WebSocket.OPEN) client.socket.send(JSON.stringify({ type, data }));
}

function wantsAny(subscription: Subscription, inboxes: readonly string[]): boolean {
  return subscription === "*" || inboxes.some((inbox) => subscription.has(inbox));
}

/** The decoded, dot-segment-free path: `/api/%65vents/` and `/x/../api/events` both mean `/api/events`. */
export function requestPath(url: string | undefined): string | null {
  try {
    const decoded = decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname);
    const normalised = path.posix.normalize(decoded);
    return normalised.length > 1 ? normalised.replace(/\/+$/, "") : normalised;
  } catch {
    return null;
  }
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
  if (!inboxes.every((inbox): inbox is string => typeof inbox === "string" && inbox.length <= 320))
    return null;
  return new Set(inboxes.map(normalizeAddress));
}

const STATUS_TEXT: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" };

/** An HTTP answer on the raw socket (there is no `res` during an upgrade), then the socket is closed. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="mailnest"\r\n' : "";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
    () => socket.destroy(),
  );
}
