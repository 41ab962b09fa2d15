import { isInvalidReportRuleError } from "../after-acceptance/invalid-report-rule-error.js";
import { parseReportSpec } from "../after-acceptance/parse-report-rule.js";
import type { ReportSpec } from "../after-acceptance/report-rule.js";
import type { FaultRuleInput } from "../faults/fault-rule.js";
import { isInvalidFaultRuleError } from "../faults/invalid-fault-rule-error.js";
import { parseFaultRuleInput } from "../faults/parse-fault-rule.js";
import { parseRelayUrl } from "../relay/relay-target.js";
import { ConfigError } from "./config-error.js";
import { parseCount, parseDuration } from "./parse-values.js";

/**
 * Parsers of the after-acceptance flags (docs/after-acceptance.md): reports for every message, the
 * simulator addresses, onward delivery of reports, and the receiving side's greylisting and rate
 * limits. `source` names the flag or variable.
 */

/** `--report <kind>[:<status>]:<probability>`, e.g. `bounce:5.1.1:0.05`. */
export function parseReportFlag(raw: string, source: string): ReportSpec {
  try {
    return parseReportSpec(raw);
  } catch (error) {
    if (isInvalidReportRuleError(error)) throw new ConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

/** `--report-relay smtp://host:port[?starttls=off]`: checked here, kept as given. */
export function parseReportRelay(raw: string, source: string): string {
  try {
    parseRelayUrl(raw.trim(), []);
    return raw.trim();
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
}

/** `--simulator-prefix sim-`: letters, digits, `.`, `_`, `-`, at most 40. */
export function parseSimulatorPrefix(raw: string, source: string): string {
  const prefix = raw.trim();
  if (!/^[a-z0-9._-]{0,40}$/i.test(prefix)) {
    throw new ConfigError(
      `${source}: expected a local-part prefix such as "sim-", got ${JSON.stringify(raw)}`,
    );
  }
  return prefix;
}

/** `--greylist <delay>`: every (client, sender, recipient) triple is greylisted for that long. */
export function parseGreylist(raw: string, source: string): FaultRuleInput {
  return faultRule({ behavior: "greylist", delayMs: parseDuration(raw, source) }, source);
}

/**
 * `--rate-limit <per>:<count>/<window>[:<code>]`, e.g. `sender:10/1m` (421 4.7.0 beyond 10
 * messages a minute from one sender) or `client:100/1h:451`.
 */
export function parseRateLimit(raw: string, source: string): FaultRuleInput {
  const match = /^(sender|connection|client):([^/]+)\/([^:]+)(?::(\d{3}))?$/.exec(raw.trim());
  if (!match) {
    throw new ConfigError(
      `${source}: expected <sender|connection|client>:<count>/<window>[:<code>] such as sender:10/1m, got ${JSON.stringify(raw)}`,
    );
  }
  const [, per, count = "", window = "", code] = match;
  return faultRule(
    {
      behavior: "rate-limit",
      per,
      limit: parseCount(count, source),
      windowMs: parseDuration(window, source),
      ...(code === undefined ? {} : { code: Number(code) }),
    },
    source,
  );
}

function faultRule(body: Record<string, unknown>, source: string): FaultRuleInput {
  try {
    return parseFaultRuleInput(body);
  } catch (error) {
    if (isInvalidFaultRuleError(error)) throw new ConfigError(`${source}: ${error.message}`);
    throw error;
  }
}
