import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { MailnestConfig } from "../../config.js";
import { urlHost } from "../../listen-host.js";
import { answerClientError } from "./client-error.js";

/** Where the HTTP server listens. */
export type HttpConfig = Pick<MailnestConfig, "host" | "httpPort">;

/** Takes the connections that ask to upgrade (the WebSocket); closed before the server cuts the rest. */
export interface UpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends the upgraded connections (their goodbye frames go out before the sockets are cut). */
  close(): Promise<void>;
}

export interface HttpServer {
  /** The port actually bound (config `httpPort` 0 picks a free one). */
  readonly port: number;
  /** Base URL of the API and the viewer, e.g. `http://127.0.0.1:8025`. */
  readonly url: string;
  /**
   * Stops listening, closes the upgrade handler (WebSocket clients get their goodbye), lets
   * responses in flight finish (close the waits first, so open ones answer 503 now) and cuts every
   * other connection. Idempotent.
   */
  close(): Promise<void>;
}

/** How long requests in flight may take to finish on close before their connections are cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The Node HTTP server on `config.host:config.httpPort`: requests go to `app`, upgrades to
 * `upgrades`. (The CLI warns about a non-loopback host without a token; see cli/parse-config.ts.)
 */
export async function startHttpServer(
  config: HttpConfig,
  handlers: { app: RequestListener; upgrades: UpgradeHandler },
): Promise<HttpServer> {
  const { upgrades } = handlers;
  const server = createServer(handlers.app);
  // On close, responses still being worked on (waits answering 503) finish without keep-alive, and
  // every other connection is cut at once: idle keep-alive ones, and ones a client opened ahead of
  // time without sending a request (undici does), which `closeIdleConnections` does not count as idle.
  const sockets = new Set<Socket>();
  const inFlight = new Set<ServerResponse>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("request", (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.on("close", () => inFlight.delete(res));
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    upgrades.handleUpgrade(req, socket, head);
  server.on("upgrade", onUpgrade);
  server.on("clientError", answerClientError);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.httpPort, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // Never listened: the upgrade handler is still its owner's to close.
    server.off("upgrade", onUpgrade);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    port,
    url: `http://${urlHost(config.host)}:${port}`,
    close() {
      closing ??= (async () => {
        for (const res of inFlight) res.shouldKeepAlive = false;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.off("upgrade", onUpgrade);
        await upgrades.close();
        const busy = new Set([...inFlight].map((res) => res.socket));
        for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
        await stopped;
        clearTimeout(cut);
      })();
      return closing;
    },
  };
}
