import { describeValue } from "../util/describe.js";
import type { FaultRuleOptions, GreylistOptions, RateLimitOptions, RateLimitScope } from "./fault-types.js";

/**
 * The receiving side behaving like real mail servers (docs/smtp.md): the helpers' options written
 * as fault rule bodies. Each checks what it was given with a `TypeError`; the server checks again.
 */

export function greylistRule(options: GreylistOptions, label: string): FaultRuleOptions {
  const { delay, from, probability, ...rest } = objectOf(options, label, "{ delay: 2000 }");
  noneLeft(rest, label, "delay, from, probability");
  return {
    behavior: "greylist",
    delayMs: wholeNumber(delay, `${label} delay`),
    ...(from === undefined ? {} : { from: from as string }),
    ...(probability === undefined ? {} : { probability: probability as number }),
  };
}

export function rateLimitRule(options: RateLimitOptions, label: string): FaultRuleOptions {
  const { max, window, per, code, ...rest } = objectOf(options, label, "{ max: 10, window: 60000 }");
  noneLeft(rest, label, "max, window, per, code");
  return {
    behavior: "rate-limit",
    limit: wholeNumber(max, `${label} max`),
    ...(window === undefined ? {} : { windowMs: wholeNumber(window, `${label} window`) }),
    ...(per === undefined ? {} : { per: per as RateLimitScope }),
    ...(code === undefined ? {} : { code: code as number }),
  };
}

function objectOf(options: unknown, label: string, example: string): Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected ${label} options such as ${example}; got ${describeValue(options)}`);
  }
  return options as Record<string, unknown>;
}

function noneLeft(rest: Record<string, unknown>, label: string, known: string): void {
  const [unknown] = Object.keys(rest);
  if (unknown !== undefined)
    throw new TypeError(`Unknown ${label} option "${unknown}"; expected one of: ${known}`);
}

export function wholeNumber(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `Expected ${name} to be a whole number of milliseconds or messages; got ${describeValue(value)}`,
    );
  }
  return value;
}
