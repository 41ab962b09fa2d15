import type { EventBus } from "../events/bus.js";
import type { TlsCredentials } from "../smtp/tls-credentials.js";
import type { MessageStore } from "../store/message-store.js";
import type { ConnectionLimits } from "./listener/retrieval-listener.js";
import type { RetrievalAccess } from "./mailbox/account.js";
import type { MessageContent } from "./mailbox/message-content.js";
import type { MessageFlags } from "./mailbox/message-flags.js";

/** What a POP3 or IMAP login is told to whoever records it (the sandbox logs it). */
export interface RetrievalLogin {
  protocol: "pop3" | "imap";
  user: string;
  /** The inbox it reads, or null for the catch-all login. */
  inbox: string | null;
  remoteAddress: string;
  tls: boolean;
}

/** The transport settings both servers share with SMTP's (docs/retrieval.md). */
export interface RetrievalTransport {
  /** The certificate of STARTTLS/STLS and of the implicit-TLS port; null = no TLS at all. */
  tls: TlsCredentials | null;
  /** Offer STARTTLS (IMAP) / STLS (POP3) on the plain port. Needs `tls`. */
  starttls: boolean;
  /** Refuse LOGIN, AUTHENTICATE, USER/PASS and AUTH until the connection is TLS. */
  requireTls: boolean;
}

/** The model both servers read: the store, its events, the shared flags and message bytes. */
export interface RetrievalModel {
  store: MessageStore;
  bus: EventBus;
  flags: MessageFlags;
  content: MessageContent;
  /** IMAP UIDVALIDITY of every mailbox; POP3 UIDL prefix. */
  uidValidity: number;
  access: RetrievalAccess;
  onLogin: (login: RetrievalLogin) => void;
}

/** How `startPop3Server` and `startImapServer` are started. */
export interface ProtocolServerOptions<Limits> {
  model: RetrievalModel;
  transport: RetrievalTransport;
  host: string;
  /** The plain-text port (STARTTLS/STLS when offered); null = none. 0 picks a free port. */
  port: number | null;
  /** The implicit-TLS port (993/995 style); null = none. Needs `transport.tls`. */
  implicitTlsPort: number | null;
  /** Names the server in its greeting. */
  hostname: string;
  limits?: Partial<Limits & ConnectionLimits>;
}
