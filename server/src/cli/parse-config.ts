import { isIP } from "node:net";
import path from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { DNS_MODES, type DnsMode } from "@mailnest/protocol";
import { DEFAULT_CONFIG, DEFAULT_IMAP_PORT, DEFAULT_POP3_PORT, type MailnestConfig } from "../config.js";
import { isInvalidFaultRuleError } from "../faults/invalid-fault-rule-error.js";
import { parseChaosSpec } from "../faults/parse-fault-rule.js";
import { ConfigError } from "./config-error.js";
import { FLAGS, type FlagSpec } from "./flags.js";
import {
  parseGreylist,
  parseRateLimit,
  parseReportFlag,
  parseReportRelay,
  parseSimulatorPrefix,
} from "./parse-after-acceptance.js";
import { compatPeers, parseCompatPeer } from "./parse-compat.js";
import {
  parseRelayAuto,
  parseRelayPattern,
  parseWebhookSecret,
  parseWebhookUrl,
  relaySettings,
} from "./parse-integrations.js";
import { parseStoreValue, resolveStore } from "./parse-store.js";
import {
  parseBoolean,
  parseByteSize,
  parseCount,
  parseDomain,
  parseDuration,
  parseListenHost,
  parseNonEmpty,
  parseOrigin,
  parsePort,
} from "./parse-values.js";
import { parseUserPassword } from "./smtp-users.js";

export type CliCommand =
  | { kind: "help" }
  | { kind: "version" }
  | {
      kind: "run";
      config: MailnestConfig;
      /** `--smtp-auth-file`, read by the caller (this function reads no files) into `config.smtpUsers`. */
      smtpAuthFile: string | null;
      /** `--retrieval-auth-file`, read by the caller into `config.retrievalUsers`. */
      retrievalAuthFile: string | null;
      /** Things the operator should know before mail flows (e.g. an exposed, unprotected API). */
      warnings: string[];
    };

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Command line + environment → what to do. Pure: no files read, nothing printed, no process exit.
 * Throws `ConfigError` with a one-line reason for anything it cannot use.
 */
export function parseCommandLine(argv: readonly string[], env: Environment, cwd: string): CliCommand {
  const flags = readFlags(argv);
  if (flags.get("help") === true) return { kind: "help" };
  if (flags.get("version") === true) return { kind: "version" };
  const read = valueReader(flags, env);

  const config: MailnestConfig = {
    ...DEFAULT_CONFIG,
    tls: { ...DEFAULT_CONFIG.tls },
    corsOrigins: [],
    dataDir: path.resolve(cwd, DEFAULT_CONFIG.dataDir ?? ".mailnest"),
  };

  config.smtpPort = read("smtp-port", parsePort) ?? config.smtpPort;
  config.httpPort = read("http-port", parsePort) ?? config.httpPort;
  config.host = read("host", parseListenHost) ?? config.host;
  const dataDir = read("data-dir", parseNonEmpty);
  const store =
    read("store", (raw, source) => parseStoreValue(raw, source, cwd)) ??
    (env.MAILNEST_DATABASE_URL === undefined
      ? undefined
      : parseStoreValue(env.MAILNEST_DATABASE_URL, "MAILNEST_DATABASE_URL", cwd));
  if (store !== undefined && store.source === "MAILNEST_DATABASE_URL" && store.kind !== "postgres") {
    throw new ConfigError(
      "MAILNEST_DATABASE_URL: expected a postgres:// URL (a folder or memory goes in --store)",
    );
  }
  Object.assign(
    config,
    resolveStore(store, {
      dataDir: dataDir === undefined ? undefined : path.resolve(cwd, dataDir),
      inMemory: readSwitch(flags, env, "in-memory"),
      defaultDataDir: config.dataDir ?? path.resolve(cwd, ".mailnest"),
    }),
  );
  config.maxMessages = read("max-messages", parseCount) ?? config.maxMessages;
  const maxAge = read("max-age", parseOptionalDuration);
  if (maxAge !== undefined) config.maxAgeMs = maxAge;
  config.maxMessageSize = read("max-message-size", parseByteSize) ?? config.maxMessageSize;
  config.maxRecipients = read("max-recipients", parseCount) ?? config.maxRecipients;
  config.maxConnections = read("max-connections", parseCount) ?? config.maxConnections;
  config.smtpIdleTimeoutMs = read("smtp-idle-timeout", parseDuration) ?? config.smtpIdleTimeoutMs;
  config.domain = read("domain", parseDomain) ?? config.domain;
  config.apiToken = read("api-token", parseNonEmpty) ?? config.apiToken;
  config.corsOrigins = readList(flags, env, "cors-origin", parseOrigin);
  config.maxWaitMs = read("max-wait", parseDuration) ?? config.maxWaitMs;
  config.compat = compatPeers(readList(flags, env, "compat", parseCompatPeer), DEFAULT_CONFIG.compat);
  config.quiet = readSwitch(flags, env, "quiet");

  config.starttls = readSwitch(flags, env, "tls");
  config.tls = {
    certFile: pathOrNull(read("tls-cert", parseNonEmpty), cwd),
    keyFile: pathOrNull(read("tls-key", parseNonEmpty), cwd),
  };
  if ((config.tls.certFile === null) !== (config.tls.keyFile === null)) {
    throw new ConfigError(
      "--tls-cert and --tls-key go together: give both PEM files, or neither for a self-signed certificate",
    );
  }
  config.smtpsPort = read("smtps-port", parsePort) ?? null;
  config.requireTls = readSwitch(flags, env, "require-tls");
  config.allowInsecureAuth = readSwitch(flags, env, "allow-insecure-auth");
  const users = readList(flags, env, "smtp-auth", parseUserPassword);
  config.smtpUsers = users.length === 0 ? null : usersMap(users);
  const smtpAuthFile = pathOrNull(read("smtp-auth-file", parseNonEmpty), cwd);
  config.requireAuth = readSwitch(flags, env, "require-auth");
  config.chaos = readList(flags, env, "chaos", parseChaos);
  config.reports = readList(flags, env, "report", parseReportFlag);
  config.reportRelay = read("report-relay", parseReportRelay) ?? null;
  config.simulator = {
    enabled: !readSwitch(flags, env, "no-simulator"),
    prefix: read("simulator-prefix", parseSimulatorPrefix) ?? "",
  };
  const greylist = read("greylist", parseGreylist);
  config.receivingRules = [
    ...(greylist === undefined ? [] : [greylist]),
    ...readList(flags, env, "rate-limit", parseRateLimit),
  ];
  config.webhooks = readList(flags, env, "webhook", parseWebhookUrl);
  config.webhookSecret = read("webhook-secret", parseWebhookSecret) ?? null;
  const relay = relaySettings(
    read("relay", parseNonEmpty),
    readList(flags, env, "relay-allow", parseRelayPattern),
    readList(flags, env, "relay-auto", parseRelayAuto),
  );
  config.relay = relay.relay;
  config.relayAuto = relay.relayAuto;
  config.verifyAuth = read("verify-auth", parseBoolean) ?? config.verifyAuth;
  config.verifyThreads = read("verify-threads", parseThreadCount) ?? config.verifyThreads;
  const parseThreads = read("parse-threads", parseThreadCountOrAuto);
  if (parseThreads !== undefined) config.parseThreads = parseThreads;
  config.dnsZoneFile = pathOrNull(read("dns-zone", parseNonEmpty), cwd);
  config.dnsMode = read("dns-mode", parseDnsMode) ?? config.dnsMode;
  const xclientPeers = readList(flags, env, "xclient-from", parseXclientPeer);
  if (xclientPeers.length > 0) config.xclientPeers = xclientPeers.includes("none") ? [] : xclientPeers;
  // On unless turned off (`defineConfig` leaves them off for in-process sandboxes).
  const pop3Port = read("pop3-port", parsePortOrOff);
  config.pop3Port = pop3Port === undefined ? DEFAULT_POP3_PORT : pop3Port;
  const imapPort = read("imap-port", parsePortOrOff);
  config.imapPort = imapPort === undefined ? DEFAULT_IMAP_PORT : imapPort;
  config.pop3sPort = read("pop3s-port", parsePortOrOff) ?? null;
  config.imapsPort = read("imaps-port", parsePortOrOff) ?? null;
  config.retrievalCatchAll = read("retrieval-catch-all", parseNonEmpty) ?? config.retrievalCatchAll;
  const retrievalAuthFile = pathOrNull(read("retrieval-auth-file", parseNonEmpty), cwd);

  const ports = [
    ["--smtp-port", config.smtpPort],
    ["--http-port", config.httpPort],
    ["--smtps-port", config.smtpsPort],
    ["--pop3-port", config.pop3Port],
    ["--pop3s-port", config.pop3sPort],
    ["--imap-port", config.imapPort],
    ["--imaps-port", config.imapsPort],
  ] as const;
  for (const [index, [name, port]] of ports.entries()) {
    for (const [otherName, other] of ports.slice(index + 1)) {
      if (port !== null && port !== 0 && port === other) {
        throw new ConfigError(`${name} and ${otherName} are both ${port}; they must differ`);
      }
    }
  }

  const warnings: string[] = [...relay.warnings];
  if (!isLoopback(config.host) && config.apiToken === null) {
    // POP3 and IMAP read (and delete) every message too; without an auth file any password works.
    const anyPassword = retrievalAuthFile === null;
    const retrievalPorts = [
      ["POP3", config.pop3Port],
      ["POP3S", config.pop3sPort],
      ["IMAP", config.imapPort],
      ["IMAPS", config.imapsPort],
    ].flatMap(([name, port]) => (port === null || !anyPassword ? [] : [`${port} (${name})`]));
    const ports = [`${config.httpPort} (HTTP)`, ...retrievalPorts].join(", ");
    const hint = retrievalPorts.length > 0 ? "; with --api-token, POP3 and IMAP take it as the password" : "";
    warnings.push(
      `--host ${config.host} is reachable from other machines and no --api-token is set: anyone who can reach ` +
        `port ${ports} can read every captured message${hint}.`,
    );
  }
  if (config.corsOrigins.includes("*") && config.apiToken === null) {
    warnings.push(
      "--cors-origin * without --api-token: any web page the browser visits can read and delete every captured message.",
    );
  }
  return { kind: "run", config, smtpAuthFile, retrievalAuthFile, warnings };
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const value = host.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    value === "localhost" ||
    value === "::1" ||
    /^127(?:\.\d{1,3}){3}$/.test(value) ||
    /^::ffff:127(?:\.\d{1,3}){3}$/.test(value)
  );
}

type FlagValues = Map<string, string | boolean | Array<string | boolean>>;

function readFlags(argv: readonly string[]): FlagValues {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const spec of FLAGS) {
    options[spec.name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return new Map(
      Object.entries(values).filter(
        (entry): entry is [string, string | boolean | Array<string | boolean>] => entry[1] !== undefined,
      ),
    );
  } catch (error) {
    // parseArgs explains itself well ("Unknown option '--smtp-prot'…"); keep its first line only,
    // except for a value that starts with "-", where only its last line says what to type instead.
    const lines = error instanceof Error ? error.message.split("\n") : [String(error)];
    const ambiguous = lines[0]?.endsWith("argument is ambiguous.") === true;
    const message = (ambiguous ? `${lines[0]} ${lines.at(-1)}` : lines[0]) ?? "";
    const unknown = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
    const near = unknown === undefined ? null : nearestFlag(unknown);
    throw new ConfigError(`${message}${near === null ? "" : ` Did you mean --${near}?`} (see --help)`);
  }
}

/**
 * The flag a mistyped one was probably meant to be (`--smtpport`, `--smtp-prot`): the nearest name
 * by edit distance, compared without dashes, when it is within two edits; else null.
 */
export function nearestFlag(typed: string): string | null {
  const bare = typed.replace(/^-+/, "").toLowerCase();
  const plain = (name: string) => name.replace(/-/g, "");
  let best: { name: string; distance: number } | null = null;
  for (const { name } of FLAGS) {
    const distance = editDistance(plain(bare), plain(name));
    if (distance <= 2 && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Reads a single-valued flag, else its environment variable, through `parse`; undefined when neither is set. */
function valueReader(flags: FlagValues, env: Environment) {
  return <T>(name: string, parse: (raw: string, source: string) => T): T | undefined => {
    const spec = specOf(name);
    const fromFlag = flags.get(name);
    if (typeof fromFlag === "string") return parse(fromFlag, `--${name}`);
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && spec.env) return parse(fromEnv, spec.env);
    return undefined;
  };
}

function readSwitch(flags: FlagValues, env: Environment, name: string): boolean {
  if (flags.get(name) === true) return true;
  const spec = specOf(name);
  const fromEnv = spec.env ? env[spec.env] : undefined;
  return fromEnv !== undefined && spec.env !== null ? parseBoolean(fromEnv, spec.env) : false;
}

function readList<T>(
  flags: FlagValues,
  env: Environment,
  name: string,
  parse: (raw: string, source: string) => T,
): T[] {
  const fromFlags = flags.get(name);
  if (Array.isArray(fromFlags)) {
    return fromFlags
      .filter((value): value is string => typeof value === "string")
      .map((value) => parse(value, `--${name}`));
  }
  const spec = specOf(name);
  const fromEnv = spec.env ? env[spec.env] : undefined;
  if (fromEnv === undefined || spec.env === null) return [];
  const source = spec.env;
  return fromEnv
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "")
    .map((value) => parse(value, source));
}

function parseDnsMode(raw: string, source: string): DnsMode {
  const mode = raw.trim().toLowerCase();
  if (!(DNS_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`${source}: expected one of ${DNS_MODES.join(", ")}, got ${JSON.stringify(raw)}`);
  }
  return mode as DnsMode;
}

/** 0 to 16 verification threads. */
function parseThreadCount(raw: string, source: string): number {
  const value = raw.trim();
  if (!/^\d{1,2}$/.test(value) || Number(value) > 16) {
    throw new ConfigError(`${source}: expected a number of threads from 0 to 16, got ${JSON.stringify(raw)}`);
  }
  return Number(value);
}

/** A thread count, or `auto` (null: the server picks, from the cores). */
function parseThreadCountOrAuto(raw: string, source: string): number | null {
  const value = raw.trim().toLowerCase();
  if (value === "auto") return null;
  if (!/^\d{1,2}$/.test(value) || Number(value) > 16) {
    throw new ConfigError(
      `${source}: expected auto or a number of threads from 0 to 16, got ${JSON.stringify(raw)}`,
    );
  }
  return Number(value);
}

/** An IP address that may send XCLIENT, or "none". */
function parseXclientPeer(raw: string, source: string): string {
  const value = raw.trim().toLowerCase();
  if (value === "none" || isIP(value) !== 0) return value;
  throw new ConfigError(`${source}: expected an IP address (or none), got ${JSON.stringify(raw)}`);
}

function pathOrNull(value: string | undefined, cwd: string): string | null {
  return value === undefined ? null : path.resolve(cwd, value);
}

function usersMap(users: Array<[string, string]>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [user, password] of users) {
    if (map.has(user)) throw new ConfigError(`--smtp-auth: user ${JSON.stringify(user)} is given twice`);
    map.set(user, password);
  }
  return map;
}

function parseChaos(raw: string, source: string) {
  try {
    return parseChaosSpec(raw);
  } catch (error) {
    if (isInvalidFaultRuleError(error)) throw new ConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

/** A port, or "off"/"none" for a listener that is on by default (POP3, IMAP). */
function parsePortOrOff(raw: string, source: string): number | null {
  return ["off", "none"].includes(raw.trim().toLowerCase()) ? null : parsePort(raw, source);
}

/** A duration, or "0"/"off" to switch the limit off (so an environment default can be overridden). */
function parseOptionalDuration(raw: string, source: string): number | null {
  return ["0", "off", "none"].includes(raw.trim().toLowerCase()) ? null : parseDuration(raw, source);
}

function specOf(name: string): FlagSpec {
  const spec = FLAGS.find((candidate) => candidate.name === name);
  if (!spec) throw new Error(`unknown flag in the CLI table: ${name}`);
  return spec;
}
