/**
 * What a `--host` means to whoever reads an address: a wildcard bind (`0.0.0.0`, `::`) is not an
 * address anyone can connect to, so URLs printed or returned for it name loopback, and the banner
 * says separately that every interface listens.
 */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

/** The host part of a URL that reaches a server bound to `host` from this machine; IPv6 in brackets. */
export function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
