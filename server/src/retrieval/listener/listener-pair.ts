import type { TlsCredentials } from "../../smtp/tls-credentials.js";
import type { Connection } from "./connection.js";
import {
  type ConnectionLimits,
  type RetrievalListener,
  startRetrievalListener,
} from "./retrieval-listener.js";

export interface ListenerPairOptions {
  /** Names the server in error messages. */
  protocol: string;
  host: string;
  /** Plain text (STARTTLS/STLS when offered); null = off, 0 = a free port. */
  port: number | null;
  /** TLS from the first byte; null = off. Needs `tls`. */
  implicitTlsPort: number | null;
  tls: TlsCredentials | null;
  limits: ConnectionLimits;
  accept(connection: Connection): void;
  refuse(connection: Connection, reason: string): Promise<void>;
  shutdown(connection: Connection): Promise<void>;
}

export interface ListenerPair {
  /** Bound ports (null when that listener is off). */
  readonly port: number | null;
  readonly implicitTlsPort: number | null;
  /** Closes both. Idempotent. */
  close(): Promise<void>;
}

/**
 * A protocol's two listeners (plain and implicit TLS), with one set of caps each. When the second
 * cannot start, the first is closed before the error is rethrown.
 */
export async function startListenerPair(options: ListenerPairOptions): Promise<ListenerPair> {
  if (options.implicitTlsPort !== null && options.tls === null) {
    throw new Error(`${options.protocol}: an implicit-TLS port needs a certificate`);
  }
  const listeners: RetrievalListener[] = [];
  const listen = async (port: number | null, implicitTls: boolean) => {
    if (port === null) return null;
    const listener = await startRetrievalListener({
      host: options.host,
      port,
      implicitTls: implicitTls ? options.tls : null,
      ...options.limits,
      accept: options.accept,
      refuse: options.refuse,
      shutdown: options.shutdown,
    });
    listeners.push(listener);
    return listener;
  };
  try {
    const plain = await listen(options.port, false);
    const secure = await listen(options.implicitTlsPort, true);
    let closing: Promise<void> | null = null;
    return {
      port: plain?.port ?? null,
      implicitTlsPort: secure?.port ?? null,
      close() {
        closing ??= Promise.all(listeners.map((listener) => listener.close())).then(() => {});
        return closing;
      },
    };
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
}
