import type { Connection } from "../listener/connection.js";
import { startListenerPair } from "../listener/listener-pair.js";
import type { ConnectionLimits } from "../listener/retrieval-listener.js";
import type { RetrievalModel, RetrievalTransport } from "../retrieval-deps.js";
import { type ImapLimits, ImapSession } from "./imap-session.js";

export interface ImapServerOptions {
  model: RetrievalModel;
  transport: RetrievalTransport;
  host: string;
  /** The plain-text port (STARTTLS when offered); null = none. 0 picks a free port. */
  port: number | null;
  /** The implicit-TLS port (993 style); null = none. Needs `transport.tls`. */
  implicitTlsPort: number | null;
  /** Greeting name. */
  hostname: string;
  limits?: Partial<ImapLimits & ConnectionLimits>;
}

export interface ImapServer {
  /** Bound ports (null when that listener is off). */
  readonly port: number | null;
  readonly implicitTlsPort: number | null;
  /** Sends BYE to every session and closes them. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_IMAP_LIMITS: ImapLimits & ConnectionLimits = {
  // Dovecot's default line cap; no command a real client sends comes near it.
  maxLineBytes: 64 * 1024,
  // Mail arrives over SMTP, so no literal carries a message: this bounds LOGIN and SEARCH strings.
  maxLiteralBytes: 64 * 1024,
  maxCommandBytes: 256 * 1024,
  idleBeforeLoginMs: 60_000,
  idleAfterLoginMs: 30 * 60_000,
  maxConnections: 200,
  maxConnectionsPerClient: 50,
};

/** The IMAP4rev1 server (docs/retrieval.md): a plain/STARTTLS listener and an implicit-TLS one. */
export function startImapServer(options: ImapServerOptions): Promise<ImapServer> {
  const limits = { ...DEFAULT_IMAP_LIMITS, ...options.limits };
  const sessions = new WeakMap<Connection, ImapSession>();
  const deps = { model: options.model, transport: options.transport, limits, hostname: options.hostname };
  return startListenerPair({
    protocol: "IMAP",
    host: options.host,
    port: options.port,
    implicitTlsPort: options.implicitTlsPort,
    tls: options.transport.tls,
    limits,
    accept(connection) {
      const session = new ImapSession(deps, connection);
      sessions.set(connection, session);
      void session.start().catch(() => connection.destroy());
    },
    refuse: (connection, reason) => connection.write(`* BYE ${reason}\r\n`),
    shutdown: async (connection) => {
      await sessions.get(connection)?.shutdown();
    },
  });
}
