import type { Connection } from "../listener/connection.js";
import { type ListenerPair, startListenerPair } from "../listener/listener-pair.js";
import type { ConnectionLimits } from "../listener/retrieval-listener.js";
import type { ProtocolServerOptions } from "../retrieval-deps.js";
import { COMMANDS } from "./commands/index.js";
import type { ImapLimits } from "./imap-context.js";
import { ImapSession } from "./imap-session.js";

export type ImapServerOptions = ProtocolServerOptions<ImapLimits>;

/** Bound ports (null when that listener is off) and `close()`, which sends BYE to every session. */
export type ImapServer = ListenerPair;

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
      const session = new ImapSession(deps, connection, COMMANDS);
      sessions.set(connection, session);
      void session.start().catch(() => connection.destroy());
    },
    refuse: (connection, reason) => connection.write(`* BYE ${reason}\r\n`),
    shutdown: async (connection) => {
      await sessions.get(connection)?.shutdown();
    },
  });
}
