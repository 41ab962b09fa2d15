import { FAULT_BEHAVIORS, FAULT_STAGES } from "@mailnest/protocol";
import { describeValue } from "../util/describe.js";
import type { FaultRuleOptions } from "./fault-types.js";

const RULE_KEYS = [
  "behavior",
  "stage",
  "code",
  "status",
  "message",
  "times",
  "probability",
  "from",
  "inbox",
  "pattern",
  "delayMs",
  "limit",
  "windowMs",
  "per",
] as const;

/**
 * Checks fault options before they go to the server, with a `TypeError` that says what was
 * expected; the server checks again (e.g. which stages can name an inbox). `allowInbox` is false
 * for `inbox.failNext()`, whose inbox is the handle's.
 */
export function validateFaultOptions(options: unknown, label: string, allowInbox: boolean): FaultRuleOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Expected ${label} options such as { stage: "rcpt", code: 451, times: 2 }; got ${describeValue(options)}`,
    );
  }
  const known = allowInbox ? RULE_KEYS : RULE_KEYS.filter((key) => key !== "inbox");
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`Unknown ${label} option "${key}"; expected one of: ${known.join(", ")}`);
    }
  }
  const { behavior, stage, code, times, probability } = fields;
  if (behavior !== undefined && !(FAULT_BEHAVIORS as readonly unknown[]).includes(behavior)) {
    throw new TypeError(
      `Expected ${label} behavior to be one of ${FAULT_BEHAVIORS.join(", ")}; got ${describeValue(behavior)}`,
    );
  }
  // Every behaviour but a plain reply has its own stage and code; the server checks those.
  const plainReply = behavior === undefined || behavior === "reply";
  if (
    (plainReply || stage !== undefined) &&
    (typeof stage !== "string" || !(FAULT_STAGES as readonly string[]).includes(stage))
  ) {
    throw new TypeError(
      `Expected ${label} stage to be one of ${FAULT_STAGES.join(", ")}; got ${describeValue(stage)}`,
    );
  }
  if (!plainReply) {
    if (code !== undefined && !isIntegerIn(code, 400, 599)) {
      throw new TypeError(
        `Expected ${label} code to be an SMTP reply code from 400 to 599; got ${describeValue(code)}`,
      );
    }
  } else if (stage === "disconnect" ? code !== undefined : !isIntegerIn(code, 400, 599)) {
    throw new TypeError(
      stage === "disconnect"
        ? `A disconnect drops the connection without a reply: leave out ${label} code (got ${describeValue(code)})`
        : `Expected ${label} code to be an SMTP reply code from 400 to 599; got ${describeValue(code)}`,
    );
  }
  if (times !== undefined && !isIntegerIn(times, 1, Number.MAX_SAFE_INTEGER)) {
    throw new TypeError(`Expected ${label} times to be a whole number >= 1; got ${describeValue(times)}`);
  }
  if (
    probability !== undefined &&
    !(typeof probability === "number" && probability >= 0 && probability <= 1)
  ) {
    throw new TypeError(
      `Expected ${label} probability to be a number from 0 to 1; got ${describeValue(probability)}`,
    );
  }
  for (const name of ["message", "from", "inbox", "status", "pattern", "per"] as const) {
    const value = fields[name];
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(`Expected ${label} ${name} to be a string; got ${describeValue(value)}`);
    }
  }
  for (const name of ["delayMs", "limit", "windowMs"] as const) {
    const value = fields[name];
    if (value !== undefined && !isIntegerIn(value, 0, Number.MAX_SAFE_INTEGER)) {
      throw new TypeError(`Expected ${label} ${name} to be a whole number; got ${describeValue(value)}`);
    }
  }
  return options as FaultRuleOptions;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}
