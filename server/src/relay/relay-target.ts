import { isMailAddress } from "../send/mail-address.js";
import type { RecipientPattern } from "./recipient-pattern.js";

/**
 * The real SMTP server released mail goes to (`--relay`), and which recipients it may go to
 * (`--relay-allow`). Only the operator sets these; nothing in a request or in captured mail can.
 */
export interface RelayTarget {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (`smtps://`, port 465 style). */
  secure: boolean;
  /**
   * For `smtp://`: "required" refuses a server without STARTTLS (the default when the URL carries
   * credentials), "optional" upgrades when offered (the default without), "off" never upgrades.
   */
  starttls: "optional" | "required" | "off";
  /** Check the server's certificate (`?tls_verify=false` turns it off, for a staging relay). */
  verifyTls: boolean;
  auth: { user: string; pass: string } | null;
  /** MAIL FROM of released mail; null keeps each message's own envelope sender. */
  from: string | null;
  /** The URL with the password replaced by `***`, for logs, the banner and `GET /api/relay`. */
  displayUrl: string;
  allow: RecipientPattern[];
}

/**
 * Parses `smtp://user:pass@host:port` or `smtps://…`, with optional query parameters
 * `starttls=optional|required|off`, `tls_verify=true|false` and `from=<address>`. Throws a
 * `TypeError` that names what was wrong. The user name and password are percent-decoded.
 */
export function parseRelayUrl(input: string, allow: RecipientPattern[]): RelayTarget {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(
      `Expected a relay URL like smtp://user:pass@smtp.example.com:587, got ${JSON.stringify(redact(input))}`,
    );
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new TypeError(
      `Expected a relay URL starting smtp:// or smtps://, got ${JSON.stringify(url.protocol)}`,
    );
  }
  if (url.hostname === "") throw new TypeError("Expected a host in the relay URL");
  const secure = url.protocol === "smtps:";
  const port = url.port === "" ? (secure ? 465 : 587) : Number(url.port);
  const known = new Set(["starttls", "tls_verify", "from"]);
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown relay URL parameter ${JSON.stringify(key)}; expected ${[...known].join(", ")}`,
      );
    }
  }
  // With credentials, STARTTLS is required unless the URL says otherwise: "optional" went on over a
  // plain connection when the server (or someone between) did not offer it, and sent the password
  // in the clear (AUTH PLAIN). Over smtps:// the connection is encrypted from the first byte.
  const credentials = url.username !== "" && url.protocol === "smtp:";
  const starttls = url.searchParams.get("starttls") ?? (credentials ? "required" : "optional");
  if (starttls !== "optional" && starttls !== "required" && starttls !== "off") {
    throw new TypeError(`Expected starttls=optional, required or off, got ${JSON.stringify(starttls)}`);
  }
  const verify = url.searchParams.get("tls_verify") ?? "true";
  if (verify !== "true" && verify !== "false") {
    throw new TypeError(`Expected tls_verify=true or false, got ${JSON.stringify(verify)}`);
  }
  const from = url.searchParams.get("from");
  if (from !== null && !isMailAddress(from)) {
    throw new TypeError(`Expected from=<address> in the relay URL, got ${JSON.stringify(from)}`);
  }
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const display = new URL(url.href);
  if (display.password !== "") display.password = "***";
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    secure,
    starttls,
    verifyTls: verify === "true",
    auth: user === "" ? null : { user, pass },
    from,
    displayUrl: display.href,
    allow,
  };
}

/** The input with anything between "://" user ":" and "@" blanked, for error messages. */
function redact(input: string): string {
  return input.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
}
