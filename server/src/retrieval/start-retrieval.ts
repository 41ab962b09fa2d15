import type { MailnestConfig } from "../config.js";
import type { EventBus } from "../events/bus.js";
import type { TlsCredentials } from "../smtp/tls-credentials.js";
import { starttlsOffered } from "../smtp/transport-policy.js";
import type { MessageStore, SharedMessageFlags } from "../store/message-store.js";
import { type ImapServer, startImapServer } from "./imap/imap-server.js";
import { type Pop3Server, startPop3Server } from "./pop3/pop3-server.js";
import type { RetrievalLogin } from "./retrieval-deps.js";
import { createRetrievalModel } from "./retrieval-model.js";

/** What the retrieval servers read of the configuration (docs/retrieval.md). */
export type RetrievalConfig = Pick<
  MailnestConfig,
  | "host"
  | "domain"
  | "dataDir"
  | "pop3Port"
  | "pop3sPort"
  | "imapPort"
  | "imapsPort"
  | "retrievalCatchAll"
  | "retrievalUsers"
  | "apiToken"
  | "starttls"
  | "requireTls"
  | "tls"
  | "quiet"
>;

/** The bound ports; null where that listener is off. */
export interface RetrievalPorts {
  pop3Port: number | null;
  pop3sPort: number | null;
  imapPort: number | null;
  imapsPort: number | null;
}

export interface Retrieval {
  readonly ports: RetrievalPorts;
  /** Says goodbye to every session and closes the listeners. Idempotent. */
  close(): Promise<void>;
}

/** Whether the retrieval servers need the certificate: an implicit-TLS port, or STARTTLS/STLS on offer. */
export function retrievalNeedsCertificate(config: RetrievalConfig): boolean {
  const plainOn = config.pop3Port !== null || config.imapPort !== null;
  return config.pop3sPort !== null || config.imapsPort !== null || (plainOn && starttlsOffered(config));
}

/**
 * POP3 and IMAP over the store, with the SMTP listener's certificate and TLS rules: STARTTLS/STLS
 * offered exactly when SMTP offers STARTTLS, plain-text logins refused until TLS with
 * `requireTls`. Every login is recorded: printed unless `quiet`, and passed to `onLogin`.
 */
export async function startRetrieval(
  config: RetrievalConfig,
  deps: {
    store: MessageStore;
    bus: EventBus;
    tls: TlsCredentials | null;
    onLogin?: (login: RetrievalLogin) => void;
    /** IMAP's volatile flags when several instances share the sandbox (PostgreSQL). */
    sharedFlags?: SharedMessageFlags | null;
  },
): Promise<Retrieval> {
  const model = await createRetrievalModel({
    store: deps.store,
    bus: deps.bus,
    sharedFlags: deps.sharedFlags ?? null,
    dataDir: config.dataDir,
    access: {
      catchAllLogin: config.retrievalCatchAll,
      users: config.retrievalUsers,
      token: config.retrievalUsers === null ? config.apiToken : null,
    },
    onLogin: (login) => {
      if (!config.quiet) process.stdout.write(`${describeLogin(login)}\n`);
      deps.onLogin?.(login);
    },
  });
  if (deps.tls === null && retrievalNeedsCertificate(config)) {
    throw new Error("startRetrieval: TLS is configured but no certificate was passed (deps.tls)");
  }
  const transport = { tls: deps.tls, starttls: starttlsOffered(config), requireTls: config.requireTls };
  const common = { model, transport, host: config.host, hostname: config.domain };
  let pop3: Pop3Server | null = null;
  let imap: ImapServer | null = null;
  const closeAll = async () => {
    await Promise.all([pop3?.close(), imap?.close()]);
    model.close();
  };
  try {
    if (config.pop3Port !== null || config.pop3sPort !== null) {
      pop3 = await startPop3Server({ ...common, port: config.pop3Port, implicitTlsPort: config.pop3sPort });
    }
    if (config.imapPort !== null || config.imapsPort !== null) {
      imap = await startImapServer({ ...common, port: config.imapPort, implicitTlsPort: config.imapsPort });
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    ports: {
      pop3Port: pop3?.port ?? null,
      pop3sPort: pop3?.implicitTlsPort ?? null,
      imapPort: imap?.port ?? null,
      imapsPort: imap?.implicitTlsPort ?? null,
    },
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

/** One log line per login, e.g. `mailnest: IMAP login "ada@mailnest.test" (inbox ada@mailnest.test) from 127.0.0.1, TLS`. */
export function describeLogin(login: RetrievalLogin): string {
  const what = login.inbox === null ? "every inbox" : `inbox ${login.inbox}`;
  return `mailnest: ${login.protocol.toUpperCase()} login ${JSON.stringify(login.user)} (${what}) from ${login.remoteAddress}${login.tls ? ", TLS" : ""}`;
}
