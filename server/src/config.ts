import type { DnsMode } from "@mailnest/protocol";
import type { ReportSpec } from "./after-acceptance/report-rule.js";
import type { ChaosSpec, FaultRuleInput } from "./faults/fault-rule.js";

/**
 * The resolved configuration of one Mailnest instance. The CLI builds it from flags and
 * MAILNEST_* environment variables (`cli/parse-config.ts`); tests build it with `defineConfig`.
 */
export interface MailnestConfig {
  /** Interface both listeners bind to. Anything but loopback exposes captured mail: warn or require a token. */
  host: string;
  /** 0 picks a free port. */
  smtpPort: number;
  httpPort: number;
  /** Implicit-TLS (port-465 style) listener; null = off. */
  smtpsPort: number | null;
  /**
   * null = in-memory mode (nothing written to disk). With `databaseUrl` it holds only this
   * instance's own state (the report relay queue…), and is null unless `--data-dir` is given.
   */
  dataDir: string | null;
  /**
   * `--store postgres://…` or `MAILNEST_DATABASE_URL`: messages live in this PostgreSQL database,
   * shared by every instance given the same URL (docs/scaling.md); null = the embedded store.
   */
  databaseUrl: string | null;
  /** Domain of generated inbox addresses, and the SMTP greeting name. */
  domain: string;
  maxMessages: number;
  /** null = keep forever. */
  maxAgeMs: number | null;
  maxMessageSize: number;
  maxRecipients: number;
  maxConnections: number;
  /** Idle SMTP connections are closed after this long. */
  smtpIdleTimeoutMs: number;
  /** On shutdown, how long messages already in DATA may take to finish before their connection gets 421. */
  shutdownGraceMs: number;
  /** Upper bound on one HTTP long-poll wait; clients re-issue longer waits. */
  maxWaitMs: number;
  apiToken: string | null;
  /** Allowed CORS origin(s); empty = CORS off. */
  corsOrigins: string[];
  /** Folder of the built web viewer; null = do not serve it. */
  webRoot: string | null;
  /*
   * Getting mail out (docs/integrations.md): webhooks, and release to a real SMTP server. Every
   * destination comes from the operator (these flags or the API), never from captured mail.
   */
  /** `--webhook`: endpoints that receive every event kind; kept across restarts with their queue. */
  webhooks: string[];
  /** `--webhook-secret`: the `whsec_` signing secret of the `--webhook` endpoints; null = generated, kept in the data dir. */
  webhookSecret: string | null;
  /** `--relay` and `--relay-allow`: the SMTP server released mail goes to, and the recipients it may reach. null = release refused. */
  relay: { url: string; allow: string[] } | null;
  /** `--relay-auto`: every message to a matching recipient is also released (to `relayTo` when given). */
  relayAuto: Array<{ match: string; relayTo?: string[] }>;
  /*
   * TLS, AUTH and faults (staging-grade SMTP; docs/smtp.md). The effective rules live in
   * `smtp/transport-policy.ts`: STARTTLS is offered when `starttls`, `requireTls` or a certificate file is set.
   */
  /**
   * Offer STARTTLS on the SMTP port. Off by default: nodemailer, Rails and Symfony/Laravel upgrade
   * whenever STARTTLS is advertised and then reject a certificate they do not trust, so a default
   * sandbox stays plain SMTP that every framework's default settings can talk to.
   */
  starttls: boolean;
  /** PEM files; both null = a self-signed certificate kept in `<dataDir>/tls/` (generated per run in memory mode). */
  tls: { certFile: string | null; keyFile: string | null };
  /** MAIL FROM (and AUTH) refused with 530/538 until the connection is TLS. Implies `starttls`. */
  requireTls: boolean;
  /**
   * Accept AUTH over a connection that could have used STARTTLS but did not. Even when false, plain
   * AUTH is accepted while no users are configured and TLS is not required, so apps configured with
   * any username/password keep working against a default sandbox.
   */
  allowInsecureAuth: boolean;
  /** null = any credentials accepted (and recorded); otherwise user → password. */
  smtpUsers: Map<string, string> | null;
  requireAuth: boolean;
  /** Global faults: each message meets `code` at `stage` with this probability (CLI `--chaos`). */
  chaos: ChaosSpec[];
  /*
   * After the 250 (docs/after-acceptance.md): reports Mailnest makes for accepted mail, and the
   * receiving side's behaviours set on the command line.
   */
  /** The built-in addresses (`bounce@…`, `complaint@…`, …) on any domain: `--no-simulator`, `--simulator-prefix`. */
  simulator: { enabled: boolean; prefix: string };
  /** `--report <kind>[:<status>]:<probability>`: a report for every accepted message, with a probability. */
  reports: ReportSpec[];
  /** `--report-relay <smtp url>`: every report is also sent on to this SMTP server; null = stored only. */
  reportRelay: string | null;
  /** `--greylist <delay>`, `--rate-limit <per>:<count>/<window>`: fault rules for every message. */
  receivingRules: FaultRuleInput[];
  /*
   * The deliverability lab (docs/authentication.md): SPF, DKIM, DMARC and ARC of every message,
   * against DNS records the tests control.
   */
  /** Verify every message as it is stored (`--verify-auth off` turns it off). */
  verifyAuth: boolean;
  /**
   * Worker threads that verify, beside the event loop; 0 verifies on the event loop. Threads run
   * only from the build (running from the TypeScript sources, verification stays on the event loop).
   */
  verifyThreads: number;
  /**
   * Worker threads that parse incoming mail (MIME, links, visible text) beside the event loop; null =
   * auto (one per core but one, and none on two cores or fewer), 0 = on the event loop. Threads run
   * only from the build.
   */
  parseThreads: number | null;
  /** A BIND-style zone file loaded at start; null = start with an empty zone. */
  dnsZoneFile: string | null;
  /** Where lookups go: only the zone (the default: nothing leaves the machine), the system's DNS, or both. */
  dnsMode: DnsMode;
  /**
   * Peers that may use XCLIENT to name the client a message comes from (its IP for SPF, its HELO).
   * Loopback by default, so a test on this machine can make SPF pass, fail or softfail.
   */
  xclientPeers: string[];
  /*
   * Reading mail back over POP3 and IMAP (docs/retrieval.md). TLS follows the SMTP rules above:
   * STARTTLS/STLS offered when SMTP offers STARTTLS, the same certificate, `requireTls` refuses
   * plain-text logins.
   */
  /**
   * POP3 listener (STLS when offered); null = off. The CLI's default is 1110 (`DEFAULT_POP3_PORT`);
   * `defineConfig` leaves POP3 and IMAP off, so in-process sandboxes that predate them (tests run in
   * parallel, each with ports 0) do not start grabbing fixed ports.
   */
  pop3Port: number | null;
  /** POP3 with implicit TLS (port-995 style); null = off. */
  pop3sPort: number | null;
  /** IMAP listener (STARTTLS when offered); null = off. The CLI's default is 1143 (`DEFAULT_IMAP_PORT`). */
  imapPort: number | null;
  /** IMAP with implicit TLS (port-993 style); null = off. */
  imapsPort: number | null;
  /** The login that sees every inbox (IMAP: INBOX = all mail, plus a folder per inbox). */
  retrievalCatchAll: string;
  /** null = any password accepted (the login recorded); otherwise login (inbox address or catch-all) → password. */
  retrievalUsers: Map<string, string> | null;
  /**
   * `--compat`: the peers whose API also answers at the root paths that peer's own server uses
   * (Mailpit `/api/v1/…` and `/view/…`, MailHog `/api/v1/…` and `/api/v2/…`, MailDev `/email…` and
   * `/healthz`), so their clients work unchanged. Every peer always answers under its own prefix
   * (`/mailpit`, `/mailhog`, `/maildev`). Mailpit and MailHog both use `/api/v1/messages`: at most
   * one of them here. docs/compatibility.md.
   */
  compat: CompatPeer[];
  /** Quiet disables the startup banner and request logs (tests). */
  quiet: boolean;
}

/** The mail catchers whose HTTP API Mailnest also speaks (docs/compatibility.md). */
export type CompatPeer = "mailpit" | "mailhog" | "maildev";

export const DEFAULT_CONFIG: MailnestConfig = {
  host: "127.0.0.1",
  smtpPort: 1025,
  httpPort: 8025,
  smtpsPort: null,
  dataDir: ".mailnest",
  databaseUrl: null,
  domain: "mailnest.test",
  maxMessages: 10_000,
  maxAgeMs: null,
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 100,
  maxConnections: 500,
  smtpIdleTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  maxWaitMs: 30_000,
  apiToken: null,
  corsOrigins: [],
  webRoot: null,
  webhooks: [],
  webhookSecret: null,
  relay: null,
  relayAuto: [],
  starttls: false,
  tls: { certFile: null, keyFile: null },
  requireTls: false,
  allowInsecureAuth: false,
  smtpUsers: null,
  requireAuth: false,
  chaos: [],
  simulator: { enabled: true, prefix: "" },
  reports: [],
  reportRelay: null,
  receivingRules: [],
  verifyAuth: true,
  verifyThreads: 1,
  parseThreads: null,
  dnsZoneFile: null,
  dnsMode: "zone",
  xclientPeers: ["127.0.0.1", "::1"],
  pop3Port: null,
  pop3sPort: null,
  imapPort: null,
  imapsPort: null,
  retrievalCatchAll: "*",
  retrievalUsers: null,
  compat: ["mailpit", "maildev"],
  quiet: false,
};

/** Where the CLI starts POP3 and IMAP unless told otherwise (docs/retrieval.md). */
export const DEFAULT_POP3_PORT = 1110;
export const DEFAULT_IMAP_PORT = 1143;

/** A full config from a partial one; tests use this with ports 0 and a temp data dir. */
export function defineConfig(overrides: Partial<MailnestConfig> = {}): MailnestConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}
