/** The longest webhook URL accepted. */
const MAX_URL_LENGTH = 2048;

/**
 * Checks a webhook URL given by the operator (CLI flag or API) and returns it normalised, or
 * throws a `TypeError` that says what was wrong.
 *
 * SSRF stance (docs/integrations.md): a destination is never derived from captured mail; only the
 * operator chooses one, and loopback and private addresses are allowed on purpose (the receiver of
 * a sandbox is usually on the same machine or network). Requests are a POST of Mailnest's own JSON,
 * redirects are not followed, and only the first bytes of an answer are kept in the attempt log.
 * Whoever can call the API can therefore make Mailnest POST to any address it can reach: keep the
 * API on loopback or behind `--api-token`, as for everything else it can do.
 */
export function normalizeWebhookUrl(input: string): string {
  if (input.length > MAX_URL_LENGTH) {
    throw new TypeError(`Expected a URL of at most ${MAX_URL_LENGTH} characters, got ${input.length}`);
  }
  // The URL parser would quietly drop a line break or a tab (`/x\r\nX-Injected: 1` became
  // `/xX-Injected:%201`) and trim spaces: a typo must be refused, not turned into another URL.
  if (/[\s\u0000-\u001f\u007f]/.test(input)) {
    throw new TypeError(`Expected a URL without spaces or control characters, got ${JSON.stringify(input)}`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(`Expected an absolute http:// or https:// URL, got ${JSON.stringify(input)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Expected an http:// or https:// URL, got ${JSON.stringify(url.protocol)}`);
  }
  // `http:/host` and `http:host` parse as http://host: a typo must be refused, not corrected.
  if (!/^https?:\/\/[^/]/i.test(input)) {
    throw new TypeError(`Expected an absolute http:// or https:// URL, got ${JSON.stringify(input)}`);
  }
  if (url.username !== "" || url.password !== "") {
    // fetch refuses URLs with credentials; a receiver verifies the signature instead.
    throw new TypeError("Expected a URL without user:password@ (receivers authenticate by the signature)");
  }
  if (url.port === "0") throw new TypeError("Expected a URL with a port from 1 to 65535, got port 0");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (/^169\.254\./.test(host) || /^fe[89ab][0-9a-f]:/.test(host) || host === "fd00:ec2::254") {
    // Link-local addresses are where clouds answer with instance credentials (169.254.169.254),
    // and the attempt log would show the start of the answer to whoever can read the API.
    throw new TypeError(
      `Expected a URL that is not link-local (${host}: cloud instance metadata lives there); loopback and private addresses are allowed`,
    );
  }
  url.hash = "";
  return url.href;
}
