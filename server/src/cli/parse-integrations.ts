import { compileRecipientPattern, isAllowed } from "../relay/recipient-pattern.js";
import { parseRelayUrl } from "../relay/relay-target.js";
import { isMailAddress } from "../send/mail-address.js";
import { normalizeWebhookUrl } from "../webhooks/endpoint-url.js";
import { secretProblem } from "../webhooks/signing.js";
import { ConfigError } from "./config-error.js";

/** Parsers of the webhook and relay flags (docs/integrations.md); `source` names the flag or variable. */

export function parseWebhookUrl(raw: string, source: string): string {
  try {
    return normalizeWebhookUrl(raw.trim());
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
}

export function parseWebhookSecret(raw: string, source: string): string {
  const problem = secretProblem(raw.trim());
  if (problem !== null) throw new ConfigError(`${source}: ${problem}`);
  return raw.trim();
}

export function parseRelayPattern(raw: string, source: string): string {
  try {
    return compileRecipientPattern(raw).source;
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
}

/** `<pattern>` or `<pattern>=<address>`. */
export function parseRelayAuto(raw: string, source: string): { match: string; relayTo?: string[] } {
  const [match = "", relayTo, ...rest] = raw.split("=");
  if (rest.length > 0)
    throw new ConfigError(`${source}: expected <pattern> or <pattern>=<address>, got "${raw}"`);
  const pattern = parseRelayPattern(match, source);
  if (relayTo === undefined) return { match: pattern };
  if (!isMailAddress(relayTo.trim())) {
    throw new ConfigError(`${source}: expected an address after "=", got "${relayTo}"`);
  }
  return { match: pattern, relayTo: [relayTo.trim()] };
}

/**
 * `--relay`, `--relay-allow` and `--relay-auto` together: a relay needs at least one allow pattern
 * (Mailnest is never an open relay), the other two need a relay, and an auto-relay target must be
 * allowed. Returns the config fields and what the operator should be warned about.
 */
export function relaySettings(
  url: string | undefined,
  allow: string[],
  auto: Array<{ match: string; relayTo?: string[] }>,
): { relay: { url: string; allow: string[] } | null; relayAuto: typeof auto; warnings: string[] } {
  if (url === undefined) {
    if (allow.length > 0)
      throw new ConfigError("--relay-allow needs --relay (the server to release mail to)");
    if (auto.length > 0) throw new ConfigError("--relay-auto needs --relay (the server to release mail to)");
    return { relay: null, relayAuto: [], warnings: [] };
  }
  const patterns = allow.map(compileRecipientPattern);
  try {
    parseRelayUrl(url, patterns);
  } catch (error) {
    throw new ConfigError(`--relay: ${(error as Error).message}`);
  }
  if (allow.length === 0) {
    throw new ConfigError(
      "--relay needs at least one --relay-allow pattern (e.g. --relay-allow '*@example.com'): Mailnest never relays to just any address",
    );
  }
  for (const rule of auto) {
    for (const target of rule.relayTo ?? []) {
      if (!isAllowed(patterns, target)) {
        throw new ConfigError(`--relay-auto: ${target} is not allowed by any --relay-allow pattern`);
      }
    }
  }
  const warnings = allow.includes("*@*")
    ? ["--relay-allow '*@*' lets anyone who can call the API release captured mail to any address."]
    : [];
  return { relay: { url, allow }, relayAuto: auto, warnings };
}
