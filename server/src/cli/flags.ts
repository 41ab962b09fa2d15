/**
 * Every command-line flag in one table: `parse-config.ts` reads values by these names and `--help`
 * is printed from it, so the two cannot drift apart. Flags win over their environment variable.
 */
export interface FlagSpec {
  /** Long name without the dashes. */
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** May be given more than once (the environment variable takes a comma-separated list). */
  multiple?: boolean;
  /** null for flags that only make sense on the command line (--help). */
  env: string | null;
  /** Shown in --help after the flag, e.g. "<port>". */
  placeholder?: string;
  /** The default as shown in --help. */
  defaultText: string;
  description: string;
}

export const FLAGS: readonly FlagSpec[] = [
  flag("smtp-port", "string", "<port>", "1025", "SMTP listener port (0 picks a free port)"),
  flag("http-port", "string", "<port>", "8025", "HTTP API and web viewer port (0 picks a free port)"),
  flag(
    "host",
    "string",
    "<address>",
    "127.0.0.1",
    "interface both listeners bind to; anything but loopback exposes captured mail",
  ),
  flag(
    "data-dir",
    "string",
    "<path>",
    ".mailnest",
    "where messages are stored (relative to the current folder)",
  ),
  flag(
    "in-memory",
    "boolean",
    undefined,
    "off",
    "keep messages in memory only (nothing written; gone on exit)",
  ),
  flag(
    "store",
    "string",
    "<where>",
    "--data-dir",
    "a folder, memory, or postgres://user:password@host/db: instances on one database act as one sandbox (env also MAILNEST_DATABASE_URL; docs/scaling.md)",
  ),
  flag(
    "max-messages",
    "string",
    "<count>",
    "10000",
    "keep at most this many messages; the oldest are pruned first",
  ),
  flag(
    "max-age",
    "string",
    "<duration>",
    "off",
    "prune messages older than this, e.g. 30m, 12h, 7d (0 or off = keep)",
  ),
  flag(
    "max-message-size",
    "string",
    "<size>",
    "25mb",
    "largest message accepted (552 above it), e.g. 25mb, 512kb or bytes",
  ),
  flag("max-recipients", "string", "<count>", "100", "recipients per message; each one more gets 452"),
  flag("max-connections", "string", "<count>", "500", "concurrent SMTP connections; one more gets 421"),
  flag("smtp-idle-timeout", "string", "<duration>", "60s", "close SMTP connections idle for this long"),
  flag(
    "domain",
    "string",
    "<domain>",
    "mailnest.test",
    "domain of generated inbox addresses and the SMTP greeting name",
  ),
  flag("api-token", "string", "<token>", "none", "require `Authorization: Bearer <token>` on the HTTP API"),
  {
    ...flag(
      "cors-origin",
      "string",
      "<origin>",
      "none",
      "allow this browser origin to call the API (repeatable; env: comma-separated)",
    ),
    multiple: true,
  },
  flag("max-wait", "string", "<duration>", "30s", "longest single HTTP long-poll wait"),
  {
    ...flag(
      "compat",
      "string",
      "<peer>",
      "mailpit, maildev",
      "also answer this peer's API at its own paths: mailpit, mailhog, maildev or none (repeatable; docs/compatibility.md)",
    ),
    multiple: true,
  },
  flag(
    "tls",
    "boolean",
    undefined,
    "off",
    "offer STARTTLS on the SMTP port (self-signed certificate in <data-dir>/tls unless --tls-cert)",
  ),
  flag(
    "tls-cert",
    "string",
    "<file>",
    "self-signed",
    "PEM certificate (chain) for STARTTLS and --smtps-port",
  ),
  flag("tls-key", "string", "<file>", "self-signed", "PEM private key of --tls-cert"),
  flag(
    "smtps-port",
    "string",
    "<port>",
    "off",
    "also listen with implicit TLS (port 465 style) on this port",
  ),
  flag("require-tls", "boolean", undefined, "off", "refuse MAIL FROM and AUTH until STARTTLS (530/538)"),
  flag(
    "allow-insecure-auth",
    "boolean",
    undefined,
    "off",
    "accept AUTH without STARTTLS even with --smtp-auth users or --require-tls",
  ),
  {
    ...flag(
      "smtp-auth",
      "string",
      "<user:pass>",
      "any accepted",
      "only these credentials succeed, 535 otherwise (repeatable; env: comma-separated)",
    ),
    multiple: true,
  },
  flag("smtp-auth-file", "string", "<file>", "none", "more user:pass credentials, one per line (# comments)"),
  flag("require-auth", "boolean", undefined, "off", "refuse MAIL FROM (530) until the client authenticated"),
  flag("pop3-port", "string", "<port|off>", "1110", "POP3 port, STLS when TLS is on (docs/retrieval.md)"),
  flag("imap-port", "string", "<port|off>", "1143", "IMAP port, STARTTLS when TLS is on"),
  flag("pop3s-port", "string", "<port>", "off", "also POP3 with implicit TLS (port 995 style)"),
  flag("imaps-port", "string", "<port>", "off", "also IMAP with implicit TLS (port 993 style)"),
  flag("retrieval-catch-all", "string", "<login>", "*", "the POP3/IMAP login that sees every inbox"),
  flag(
    "retrieval-auth-file",
    "string",
    "<file>",
    "any password",
    "only these login:password pairs may log in to POP3/IMAP (logins are inbox addresses)",
  ),
  {
    ...flag(
      "chaos",
      "string",
      "<stage:code:p>",
      "none",
      "fail every message at a stage with a probability, e.g. rcpt:451:0.1 (repeatable)",
    ),
    multiple: true,
  },
  {
    ...flag(
      "webhook",
      "string",
      "<url>",
      "none",
      "POST every event, signed (Standard Webhooks), to this URL (repeatable; env: comma-separated)",
    ),
    multiple: true,
  },
  flag("webhook-secret", "string", "<whsec_…>", "generated", "signing secret of the --webhook endpoints"),
  flag(
    "relay",
    "string",
    "<smtp(s)://…>",
    "none",
    "real SMTP server for releasing mail, e.g. smtp://user:pass@smtp.example.com:587",
  ),
  {
    ...flag(
      "relay-allow",
      "string",
      "<pattern>",
      "none",
      "recipients mail may be released to, e.g. *@example.com (repeatable; required with --relay)",
    ),
    multiple: true,
  },
  {
    ...flag(
      "relay-auto",
      "string",
      "<pattern[=to]>",
      "none",
      "also release every message to a matching recipient (to `to` if given) (repeatable)",
    ),
    multiple: true,
  },
  flag(
    "verify-auth",
    "string",
    "<on|off>",
    "on",
    "verify SPF, DKIM, DMARC and ARC of every message against the DNS zone (docs/authentication.md)",
  ),
  flag(
    "verify-threads",
    "string",
    "<count>",
    "1",
    "worker threads that verify signed mail (all mail with --dns-mode system) beside the event loop (0 = on the event loop)",
  ),
  flag(
    "parse-threads",
    "string",
    "<count|auto>",
    "auto",
    "worker threads that parse incoming mail beside the event loop (auto = cores − 1, none on 2 cores or fewer; 0 = on the event loop)",
  ),
  flag(
    "dns-zone",
    "string",
    "<file>",
    "none",
    "BIND-style zone file of the records verification answers from",
  ),
  flag(
    "dns-mode",
    "string",
    "<mode>",
    "zone",
    "zone (only the zone; nothing leaves the machine), system (real DNS), or zone-then-system",
  ),
  {
    ...flag(
      "xclient-from",
      "string",
      "<address>",
      "127.0.0.1, ::1",
      "peers allowed to name the client IP/HELO with XCLIENT, for SPF (repeatable; none = nobody)",
    ),
    multiple: true,
  },
  {
    ...flag(
      "report",
      "string",
      "<kind[:status]:p>",
      "none",
      "after the 250, a bounce/delay/complaint/auto-reply for each message with a probability, e.g. bounce:5.1.1:0.05 (repeatable)",
    ),
    multiple: true,
  },
  flag(
    "report-relay",
    "string",
    "<smtp-url>",
    "none",
    "also send every report on over SMTP, e.g. smtp://127.0.0.1:2525?starttls=off",
  ),
  flag(
    "no-simulator",
    "boolean",
    undefined,
    "off",
    "no reports for the built-in bounce@, complaint@, ooto@, … addresses",
  ),
  flag(
    "simulator-prefix",
    "string",
    "<prefix>",
    "none",
    "the built-in addresses start with this, e.g. sim- for sim-bounce@",
  ),
  flag(
    "greylist",
    "string",
    "<delay>",
    "none",
    "greylist every (client, sender, recipient) triple for this long (451 4.7.1)",
  ),
  {
    ...flag(
      "rate-limit",
      "string",
      "<per:n/window>",
      "none",
      "421 4.7.0 beyond n messages per window per sender, connection or client, e.g. sender:10/1m (repeatable)",
    ),
    multiple: true,
  },
  flag("quiet", "boolean", undefined, "off", "print nothing but warnings and errors"),
  {
    name: "help",
    short: "h",
    type: "boolean",
    env: null,
    defaultText: "",
    description: "show this help and exit",
  },
  { name: "version", type: "boolean", env: null, defaultText: "", description: "print the version and exit" },
];

function flag(
  name: string,
  type: FlagSpec["type"],
  placeholder: string | undefined,
  defaultText: string,
  description: string,
): FlagSpec {
  const spec: FlagSpec = { name, type, env: envName(name), defaultText, description };
  if (placeholder !== undefined) spec.placeholder = placeholder;
  return spec;
}

/** "max-message-size" → "MAILNEST_MAX_MESSAGE_SIZE". */
export function envName(flagName: string): string {
  return `MAILNEST_${flagName.toUpperCase().replaceAll("-", "_")}`;
}
