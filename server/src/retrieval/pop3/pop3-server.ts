import { type ListenerPair, startListenerPair } from "../listener/listener-pair.js";
import type { ConnectionLimits } from "../listener/retrieval-listener.js";
import type { ProtocolServerOptions } from "../retrieval-deps.js";
import { HANDLERS } from "./pop3-commands.js";
import type { Pop3Limits } from "./pop3-context.js";
import { Pop3Session } from "./pop3-session.js";

export type Pop3ServerOptions = ProtocolServerOptions<Pop3Limits>;

/** Bound ports (null when that listener is off) and `close()`. */
export type Pop3Server = ListenerPair;

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
      void new Pop3Session(deps, connection, HANDLERS).start().catch(() => connection.destroy());
    },
    refuse: (connection, reason) => connection.write(`-ERR [SYS/TEMP] ${reason}\r\n`),
    // RFC 1939 has no unsolicited response: the connection just closes.
    shutdown: async () => {},
  });
}
