import net from "node:net";
import tls from "node:tls";
import type { TlsCredentials } from "../../smtp/tls-credentials.js";
import { Connection } from "./connection.js";

export interface ConnectionLimits {
  /** Open connections in total. */
  maxConnections: number;
  /** Open connections from one remote address. */
  maxConnectionsPerClient: number;
}

export interface ListenerOptions extends ConnectionLimits {
  host: string;
  port: number;
  /** TLS from the first byte (ports 995/993 style); null for plain text (STARTTLS optional). */
  implicitTls: TlsCredentials | null;
  /** Starts the protocol on an accepted connection. */
  accept(connection: Connection): void;
  /** Turns a connection away over a cap: write the protocol's refusal, then it is closed. */
  refuse(connection: Connection, reason: string): Promise<void>;
  /** Says goodbye to an open connection at shutdown. */
  shutdown(connection: Connection): Promise<void>;
}

export interface RetrievalListener {
  readonly port: number;
  readonly connections: ReadonlySet<Connection>;
  /** Stops accepting, says goodbye to open connections and closes them. Idempotent. */
  close(): Promise<void>;
}

/** How long connections may take to go after their goodbye before they are cut. */
const CLOSE_GRACE_MS = 2_000;

/** A TCP (or implicit-TLS) listener with connection caps, shared by the POP3 and IMAP servers. */
export async function startRetrievalListener(options: ListenerOptions): Promise<RetrievalListener> {
  const connections = new Set<Connection>();
  const perClient = new Map<string, number>();
  let closing: Promise<void> | null = null;

  const onSocket = (socket: net.Socket, secure: boolean) => {
    socket.setNoDelay(true);
    const connection = new Connection(socket, secure);
    const address = connection.remoteAddress;
    const fromClient = perClient.get(address) ?? 0;
    if (
      closing !== null ||
      connections.size >= options.maxConnections ||
      fromClient >= options.maxConnectionsPerClient
    ) {
      const reason =
        closing !== null
          ? "server shutting down"
          : connections.size >= options.maxConnections
            ? "too many connections"
            : `too many connections from ${address}`;
      void options.refuse(connection, reason).finally(() => connection.end());
      return;
    }
    connections.add(connection);
    perClient.set(address, fromClient + 1);
    connection.onClose(() => {
      connections.delete(connection);
      const left = (perClient.get(address) ?? 1) - 1;
      if (left <= 0) perClient.delete(address);
      else perClient.set(address, left);
    });
    options.accept(connection);
  };

  const credentials = options.implicitTls;
  const server: net.Server = credentials
    ? tls.createServer({ key: credentials.key, cert: credentials.cert }, (socket) => onSocket(socket, true))
    : net.createServer((socket) => onSocket(socket, false));
  // A failed TLS handshake is the client's problem, not the server's.
  server.on("tlsClientError", (_error: Error, socket: net.Socket) => socket.destroy());

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", () => {});
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : options.port);
    });
  });

  return {
    port,
    connections,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all(
          [...connections].map(async (connection) => {
            await Promise.race([options.shutdown(connection), delay(CLOSE_GRACE_MS)]);
            connection.end();
          }),
        );
        const cut = setTimeout(() => {
          for (const connection of connections) connection.destroy();
        }, CLOSE_GRACE_MS);
        await stopped;
        clearTimeout(cut);
      })();
      return closing;
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
