import { isIP } from "node:net";

/**
 * Who may talk to the API from a browser. Two attacks matter for a server on a developer's
 * machine: cross-site WebSocket hijacking (a page on another origin opening `/api/events`, which
 * browsers allow without CORS) and DNS rebinding (a page whose host name later resolves to
 * 127.0.0.1, making every request "same origin"). The first is stopped by checking `Origin`, the
 * second by accepting only loopback `Host` names while the server listens on loopback.
 */

/** `localhost`, `*.localhost` (RFC 6761 §6.3), 127.0.0.0/8 and ::1, with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  return name === "::1" || name === "::ffff:127.0.0.1";
}

/** A registered name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST_HEADER = /^(?:[a-z0-9._~-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The `host:port` of a Host header or origin, as the WHATWG URL parser normalises it; null if unparsable. */
function hostAndPort(value: string, withScheme: boolean): URL | null {
  try {
    return new URL(withScheme ? value : `http://${value}`);
  } catch {
    return null;
  }
}

/**
 * While the server listens on loopback, only loopback names may appear in `Host`: a rebound
 * attacker's name (`evil.example`) is refused. On any other interface the user chose to expose the
 * server, and the token is the protection.
 */
export function hostHeaderAllowed(listenHost: string, hostHeader: string | undefined): boolean {
  if (!isLoopbackHost(listenHost) || hostHeader === undefined) return true;
  // RFC 9110's `uri-host [ ":" port ]` and nothing else: the URL parser would read a prefix ending
  // in "@" as credentials (`evil.example@127.0.0.1`) and judge only what follows it.
  if (!HOST_HEADER.test(hostHeader)) return false;
  const url = hostAndPort(hostHeader, false);
  return url !== null && isLoopbackHost(url.hostname);
}

/**
 * A browser request may come from the server's own origin (same `host:port` as `Host`) or from a
 * configured CORS origin. No `Origin` at all is a non-browser client (curl, the SDK): allowed.
 */
export function originAllowed(
  origin: string | undefined,
  hostHeader: string | undefined,
  corsOrigins: readonly string[],
): boolean {
  if (origin === undefined) return true;
  const parsed = origin === "null" ? null : hostAndPort(origin, true);
  if (parsed === null) return false;
  if (corsOriginAllowed(parsed.origin, corsOrigins)) return true;
  if (hostHeader === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) return false;
  // Parsed with the origin's scheme, so `Host: mail.test:443` equals `https://mail.test`.
  const host = hostAndPort(`${parsed.protocol}//${hostHeader}`, true);
  return host !== null && parsed.host === host.host;
}

/**
 * Why a state-changing request (POST, PUT, PATCH, DELETE) must be refused as a cross-site request
 * forgery, or null to let it through. A page on another origin can send a POST without a body
 * (`fetch(url, { method: "POST", mode: "no-cors" })`, a `<form>`) with no CORS preflight: the
 * browser delivers it and only hides the answer, so the request must be judged on what the browser
 * adds: `Origin` (on every request but GET and HEAD in current browsers) and, in Fetch Metadata,
 * `Sec-Fetch-Site`. The `Origin` rule is the WebSocket's (`originAllowed`). Without
 * `Origin`, a `Sec-Fetch-Site` of `cross-site` or `same-site` still marks a page elsewhere (another
 * port on localhost is `same-site`); `same-origin`, `none` (typed by the user) and no header at all
 * (curl, the SDK, other HTTP clients) pass.
 */
export function writeRefusal(headers: BrowserHeaders, corsOrigins: readonly string[]): string | null {
  return crossSiteRefusal(headers, corsOrigins, "change anything");
}

/**
 * Why a read must be refused as coming from a page elsewhere, or null to let it through: the same
 * rule as for writes. A page cannot read a cross-origin answer, but it can time one: a wait answers
 * at once when a stored message matches its filter and only at its timeout otherwise, so a page that
 * sends `GET /api/wait?text=58…` from any site learns a one-time code digit by digit, without
 * reading a byte. Cross-site navigations are refused too (a script can navigate a popup and time
 * it). Routes a browser opens from a link (raw, attachments, HTML views) are not judged by this:
 * they search nothing, so their timing says nothing, and an HTML view served under a sandbox CSP
 * loads its inline images as a cross-site page.
 */
export function readRefusal(headers: BrowserHeaders, corsOrigins: readonly string[]): string | null {
  return crossSiteRefusal(headers, corsOrigins, "read anything");
}

/** What a browser adds to a request that says where it came from. */
export interface BrowserHeaders {
  origin?: string | undefined;
  "sec-fetch-site"?: string | string[] | undefined;
  host?: string | undefined;
}

function crossSiteRefusal(
  headers: BrowserHeaders,
  corsOrigins: readonly string[],
  what: string,
): string | null {
  const { origin, host } = headers;
  if (origin !== undefined) {
    if (originAllowed(origin, host, corsOrigins)) return null;
    return `Origin ${JSON.stringify(origin)} may not ${what} here: only the server's own origin and --cors-origin origins may`;
  }
  const site = headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    return `A ${site} browser request without an allowed Origin may not ${what} here (Sec-Fetch-Site: ${site})`;
  }
  return null;
}

/** `--cors-origin` values are origins (`https://app.test:3000`) or `*`. */
export function corsOriginAllowed(origin: string, corsOrigins: readonly string[]): boolean {
  if (origin === "null") return false;
  return corsOrigins.some(
    (allowed) => allowed === "*" || normaliseOrigin(allowed) === normaliseOrigin(origin),
  );
}

function normaliseOrigin(value: string): string {
  return hostAndPort(value, true)?.origin ?? value;
}
