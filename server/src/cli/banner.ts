import { PEER_PREFIXES } from "../api/http/peer-paths.js";
import type { CompatPeer } from "../config.js";
import type { ChaosSpec } from "../faults/fault-rule.js";
import { isWildcardHost, urlHost } from "../listen-host.js";
import { parseRelayUrl } from "../relay/relay-target.js";
import type { Sandbox } from "../sandbox.js";
import type { TlsCredentials } from "../smtp/tls-credentials.js";
import { insecureAuthAllowed, starttlsOffered } from "../smtp/transport-policy.js";
import { describeStore } from "../store/store-location.js";

/** What the banner reads of a started sandbox: its settings and the ports it bound. */
export type BannerFacts = Pick<
  Sandbox,
  "config" | "url" | "tls" | "smtpPort" | "smtpsPort" | "pop3Port" | "pop3sPort" | "imapPort" | "imapsPort"
>;

/** What the operator needs at startup: where to send mail (and how), where to look at it, where it is kept. */
export function startupBanner(sandbox: BannerFacts, version: string): string[] {
  const { config } = sandbox;
  const host = urlHost(config.host);
  const starttls = starttlsOffered(config);
  const smtpTls = config.requireTls
    ? "STARTTLS required"
    : starttls
      ? "STARTTLS offered"
      : "plain, no STARTTLS";
  return [
    `mailnest ${version}`,
    ...(isWildcardHost(config.host)
      ? [
          `  Listening on every interface (--host ${config.host}); the URLs below work from this machine, other hosts use one of its addresses`,
        ]
      : []),
    `  SMTP      smtp://${host}:${sandbox.smtpPort} (${smtpTls})`,
    ...(sandbox.smtpsPort === null
      ? []
      : [`  SMTPS     smtps://${host}:${sandbox.smtpsPort} (implicit TLS)`]),
    ...describeRetrieval(sandbox, host),
    ...(sandbox.tls === null ? [] : [`  TLS       ${describeCertificate(sandbox.tls)}`]),
    `  Auth      ${describeAuth(sandbox)}`,
    ...(config.chaos.length === 0 ? [] : [`  Chaos     ${config.chaos.map(describeChaos).join(", ")}`]),
    ...describeAfterAcceptance(config),
    ...describeIntegrations(config),
    `  Web + API ${sandbox.url}${config.webRoot === null ? " (API only: the web viewer is not built)" : ""}`,
    describePeers(config.compat),
    ...describeData(config),
    `  Limits    ${config.maxMessages} messages${config.maxAgeMs === null ? "" : `, ${formatDuration(config.maxAgeMs)} max age`}, ${formatBytes(config.maxMessageSize)} per message, ${config.maxRecipients} recipients`,
  ];
}

/** Where messages live; with PostgreSQL, also where this instance's own state is (never the password). */
function describeData(config: Sandbox["config"]): string[] {
  const store = describeStore(config);
  if (store.kind === "memory") return ["  Data      in memory (gone on exit)"];
  if (store.kind === "files") return [`  Data      ${store.location}`];
  return [
    `  Data      PostgreSQL ${store.location} (shared by every instance on it; docs/scaling.md)`,
    `  Local     ${config.dataDir ?? "in memory: report relay queue (--data-dir keeps it)"}`,
  ];
}

/** Where each peer's API answers (docs/compatibility.md): its own paths with `--compat`, else its prefix. */
export function describePeers(compat: readonly CompatPeer[]): string {
  const at = (peer: CompatPeer, root: string) =>
    compat.includes(peer) ? root : `${PEER_PREFIXES[peer]}${root}`;
  return `  Peers     Mailpit ${at("mailpit", "/api/v1")}, MailHog ${at("mailhog", "/api/v2")}, MailDev ${at("maildev", "/email")} (docs/compatibility.md)`;
}

function describeCertificate(tls: TlsCredentials): string {
  if (tls.source === "files") return `certificate ${tls.certFile}`;
  const names = tls.names.join(", ");
  if (tls.shared) {
    return `self-signed for ${names}, the same on every instance on the database (clients trust it or skip verification)`;
  }
  return tls.certFile === null
    ? `self-signed for ${names}, in memory (new each run; clients must skip verification)`
    : `self-signed for ${names}, stored at ${tls.certFile} (clients trust this file or skip verification)`;
}

function describeAuth({ config }: BannerFacts): string {
  const users = config.smtpUsers;
  const who =
    users === null
      ? "any credentials accepted (user name recorded)"
      : `${users.size} user${users.size === 1 ? "" : "s"} (--smtp-auth), 535 for anything else`;
  const when = config.requireAuth ? "required before MAIL FROM" : "optional";
  const plainText = starttlsOffered(config) && !insecureAuthAllowed(config) ? "; only after STARTTLS" : "";
  return `${who}; ${when}${plainText}`;
}

/** The simulator addresses, `--report`, `--report-relay`, `--greylist`, `--rate-limit` (docs/after-acceptance.md). */
function describeAfterAcceptance(config: Sandbox["config"]): string[] {
  const { simulator } = config;
  const reports = [
    simulator.enabled
      ? `${["bounce", "suppressed", "delayed", "complaint", "ooto"].map((name) => `${simulator.prefix}${name}@`).join(", ")} on any domain get reports`
      : "no simulator addresses",
    ...config.reports.map(
      (spec) =>
        `${spec.kind}${spec.status === null ? "" : ` ${spec.status}`} for ${spec.probability * 100} % of mail`,
    ),
    ...(config.reportRelay === null
      ? []
      : [`sent on to ${parseRelayUrl(config.reportRelay, []).displayUrl}`]),
  ];
  const receiving = config.receivingRules.map((rule) =>
    rule.behavior === "greylist"
      ? `greylisting ${formatDuration(rule.delayMs ?? 0)}`
      : `${rule.code} beyond ${rule.limit} messages per ${formatDuration(rule.windowMs ?? 0)} per ${rule.per}`,
  );
  return [
    `  Reports   ${reports.join("; ")}`,
    ...(receiving.length === 0 ? [] : [`  Receiving ${receiving.join("; ")}`]),
  ];
}

/** `--webhook` and `--relay` (docs/integrations.md); the relay's password is never printed. */
function describeIntegrations(config: Sandbox["config"]): string[] {
  const lines: string[] = [];
  if (config.webhooks.length > 0) {
    const secret =
      config.webhookSecret === null ? "secrets: GET /api/webhooks/{id}/secret" : "--webhook-secret";
    lines.push(`  Webhooks  ${config.webhooks.join(", ")} (signed; ${secret})`);
  }
  if (config.relay !== null) {
    const auto = config.relayAuto.map((rule) =>
      rule.relayTo ? `${rule.match} → ${rule.relayTo.join(", ")}` : rule.match,
    );
    const url = parseRelayUrl(config.relay.url, []).displayUrl;
    const rules = auto.length === 0 ? "" : `; auto-relay ${auto.join(", ")}`;
    lines.push(`  Relay     ${url} for ${config.relay.allow.join(", ")}${rules}`);
  }
  return lines;
}

/** POP3 and IMAP (docs/retrieval.md): where, with what TLS, and how to log in. */
function describeRetrieval(sandbox: BannerFacts, host: string): string[] {
  const { config } = sandbox;
  const tls = (command: string) =>
    config.requireTls
      ? `${command} required before login`
      : starttlsOffered(config)
        ? `${command} offered`
        : `plain, no ${command}`;
  const lines = [
    ...(sandbox.pop3Port === null ? [] : [`  POP3      pop3://${host}:${sandbox.pop3Port} (${tls("STLS")})`]),
    ...(sandbox.pop3sPort === null
      ? []
      : [`  POP3S     pop3s://${host}:${sandbox.pop3sPort} (implicit TLS)`]),
    ...(sandbox.imapPort === null
      ? []
      : [`  IMAP      imap://${host}:${sandbox.imapPort} (${tls("STARTTLS")})`]),
    ...(sandbox.imapsPort === null
      ? []
      : [`  IMAPS     imaps://${host}:${sandbox.imapsPort} (implicit TLS)`]),
  ];
  if (lines.length === 0) return [];
  const users = config.retrievalUsers;
  const passwords =
    users !== null
      ? `${users.size} login${users.size === 1 ? "" : "s"} (--retrieval-auth-file)`
      : config.apiToken !== null
        ? "the --api-token is the password"
        : "any password (login recorded)";
  return [
    ...lines,
    `  Mailboxes log in as an inbox address, or as ${config.retrievalCatchAll} for every inbox; ${passwords}`,
  ];
}

function describeChaos(spec: ChaosSpec): string {
  const percent = `${Number((spec.probability * 100).toFixed(2))}%`;
  return spec.code === null ? `${spec.stage} at ${percent}` : `${spec.stage} ${spec.code} at ${percent}`;
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["GB", 1024 ** 3],
    ["MB", 1024 ** 2],
    ["KB", 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
