import { isIP } from "node:net";
import { ConfigError } from "./config-error.js";

/** Parsers for flag values. `source` names where the value came from (`--smtp-port`, `MAILNEST_SMTP_PORT`). */

export function parsePort(raw: string, source: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new ConfigError(
      `${source}: expected a port number from 0 to 65535 (0 picks a free port), got ${quote(raw)}`,
    );
  }
  return port;
}

/** A whole number ≥ 1. */
export function parseCount(raw: string, source: string): number {
  const count = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(Number.isSafeInteger(count) && count >= 1)) {
    throw new ConfigError(`${source}: expected a whole number of at least 1, got ${quote(raw)}`);
  }
  return count;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "30s", "15m", "12h", "7d" → milliseconds (> 0). A unit is required: a bare "30" is ambiguous. */
export function parseDuration(raw: string, source: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/i.exec(raw.trim());
  const ms = match
    ? Math.round(Number(match[1]) * (DURATION_UNITS[match[2]!.toLowerCase()] ?? Number.NaN))
    : Number.NaN;
  if (!(Number.isSafeInteger(ms) && ms > 0)) {
    throw new ConfigError(`${source}: expected a duration such as 30s, 15m, 12h or 7d, got ${quote(raw)}`);
  }
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** "25mb", "512kb", "1gb" (powers of 1024) or plain bytes → bytes (≥ 1). */
export function parseByteSize(raw: string, source: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const multiplier = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && multiplier !== undefined ? Math.floor(Number(match[1]) * multiplier) : Number.NaN;
  if (!(Number.isSafeInteger(bytes) && bytes >= 1)) {
    throw new ConfigError(
      `${source}: expected a size such as 25mb, 512kb or a number of bytes, got ${quote(raw)}`,
    );
  }
  return bytes;
}

/** For environment variables of on/off flags. */
export function parseBoolean(raw: string, source: string): boolean {
  const value = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["", "0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(`${source}: expected true or false (or 1/0, yes/no, on/off), got ${quote(raw)}`);
}

export function parseNonEmpty(raw: string, source: string): string {
  const value = raw.trim();
  if (value === "") throw new ConfigError(`${source}: expected a value, got an empty string`);
  return value;
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * The address the listeners bind: an IPv4 or IPv6 address, or a host name (`localhost`). A dotted
 * number that is no IPv4 address (`999.1.1.1`) is refused here; it used to reach DNS, fail there
 * with a stack trace, and first set off the warning for an address reachable from other machines.
 */
export function parseListenHost(raw: string, source: string): string {
  const value = raw.trim();
  const bare = value.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) return bare;
  if (!/^[\d.]+$/.test(value) && HOSTNAME.test(value)) return value;
  throw new ConfigError(
    `${source}: expected an IP address or a host name such as 127.0.0.1, 0.0.0.0, :: or localhost, got ${quote(raw)}`,
  );
}

/** A DNS name for generated inbox addresses and the SMTP greeting. */
export function parseDomain(raw: string, source: string): string {
  const domain = raw.trim().toLowerCase();
  if (!HOSTNAME.test(domain)) {
    throw new ConfigError(`${source}: expected a domain name such as mailnest.test, got ${quote(raw)}`);
  }
  return domain;
}

/** An http(s) origin such as http://localhost:5173, or "*". */
export function parseOrigin(raw: string, source: string): string {
  const value = raw.trim();
  if (value === "*") return value;
  let origin: string | null = null;
  try {
    const url = new URL(value);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.origin === value.replace(/\/$/, "")) {
      origin = url.origin;
    }
  } catch {
    origin = null;
  }
  if (origin === null) {
    throw new ConfigError(
      `${source}: expected an origin such as http://localhost:5173 (or *), got ${quote(raw)}`,
    );
  }
  return origin;
}

function quote(raw: string): string {
  return JSON.stringify(raw);
}
