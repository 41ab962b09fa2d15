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
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(`Expected an absolute http:// or https:// URL, got ${JSON.stringify(input)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Expected an http:// or https:// URL, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== "" || url.password !== "") {
    // fetch refuses URLs with credentials; a receiver verifies the signature instead.
    throw new TypeError("Expected a URL without user:password@ (receivers authenticate by the signature)");
  }
  url.hash = "";
  return url.href;
}
