import { startListenerPair } from "../listener/listener-pair.js";
import type { ConnectionLimits } from "../listener/retrieval-listener.js";
import type { RetrievalModel, RetrievalTransport } from "../retrieval-deps.js";
import { type Pop3Limits, Pop3Session } from "./pop3-session.js";

export interface Pop3ServerOptions {
  model: RetrievalModel;
  transport: RetrievalTransport;
  host: string;
  /** The plain-text port (STLS when offered); null = none. 0 picks a free port. */
  port: number | null;
  /** The implicit-TLS port (995 style); null = none. Needs `transport.tls`. */
  implicitTlsPort: number | null;
  hostname: string;
  limits?: Partial<Pop3Limits & ConnectionLimits>;
}

export interface Pop3Server {
  readonly port: number | null;
  readonly implicitTlsPort: number | null;
  close(): Promise<void>;
}

export const DEFAULT_POP3_LIMITS: Pop3Limits & ConnectionLimits = {
  maxLineBytes: 8 * 1024,
  idleMs: 10 * 60_000,
  maxConnections: 200,
  maxConnectionsPerClient: 50,
};

/** The POP3 server (docs/retrieval.md): a plain/STLS listener and an implicit-TLS one. */
export function startPop3Server(options: Pop3ServerOptions): Promise<Pop3Server> {
  const limits = { ...DEFAULT_POP3_LIMITS, ...options.limits };
  const deps = { model: options.model, transport: options.transport, limits, hostname: options.hostname };
  return startListenerPair({
    protocol: "POP3",
    host: options.host,
    port: options.port,
    implicitTlsPort: options.implicitTlsPort,
    tls: options.transport.tls,
    limits,
    accept(connection) {
      void new Pop3Session(deps, connection).start().catch(() => connection.destroy());
    },
    refuse: (connection, reason) => connection.write(`-ERR [SYS/TEMP] ${reason}\r\n`),
    // RFC 1939 has no unsolicited response: the connection just closes.
    shutdown: async () => {},
  });
}
