import {
  ENHANCED_STATUS_PATTERN,
  type FaultBehavior,
  MAX_FAULT_DELAY_MS,
  MAX_FAULT_LIMIT,
  MAX_FAULT_MESSAGE_LENGTH,
  MAX_FAULT_PATTERN_LENGTH,
  MAX_FAULT_WINDOW_MS,
  normalizeAddress,
  type RateLimitScope,
} from "@mailnest/protocol";
import { ruleFields } from "../rules/rule-fields.js";
import {
  BEHAVIOR_DEFAULTS,
  type ChaosSpec,
  defaultStatus,
  FAULT_BEHAVIORS,
  FAULT_STAGES,
  type FaultRuleInput,
  type FaultStage,
  RATE_LIMIT_SCOPES,
} from "./fault-rule.js";
import { InvalidFaultRuleError } from "./invalid-fault-rule-error.js";

const fields$ = ruleFields((parameter, message) => new InvalidFaultRuleError(parameter, message));
const invalid = fields$.fail;

const BODY_FIELDS = [
  "behavior",
  "stage",
  "code",
  "status",
  "message",
  "times",
  "probability",
  "inbox",
  "to",
  "from",
  "pattern",
  "delayMs",
  "limit",
  "windowMs",
  "per",
] as const;
type BodyFields = Partial<Record<(typeof BODY_FIELDS)[number], unknown>>;

const MAX_TIMES = 1_000_000;
/** RFC 6647 section 6: common greylisting delays are a few minutes; tests set their own. */
const DEFAULT_GREYLIST_DELAY_MS = 5 * 60 * 1000;
const DEFAULT_RATE_WINDOW_MS = 60 * 1000;
/**
 * SMTP replies are ASCII (RFC 5321 section 4.2; SMTPUTF8 does not cover them), and a CR or LF in
 * the text would let a rule forge further reply lines.
 */
const REPLY_TEXT = /^[\x20-\x7e]*$/;
/** Stages at which a field can be known: nobody has been named at `connect`, no recipient yet at `mail`. */
const MATCHABLE: Record<FaultStage, { inbox: boolean; from: boolean }> = {
  connect: { inbox: false, from: false },
  mail: { inbox: false, from: true },
  rcpt: { inbox: true, from: true },
  data: { inbox: true, from: true },
  disconnect: { inbox: true, from: true },
};
/** Which behaviours take which of the behaviour-specific fields. */
const TAKES: Record<"delayMs" | "limit" | "windowMs" | "per", readonly FaultBehavior[]> = {
  delayMs: ["greylist", "slow", "tarpit"],
  limit: ["rate-limit", "connection-limit"],
  windowMs: ["rate-limit"],
  per: ["rate-limit"],
};

/**
 * A rule from an API body: `{ behavior?, stage?, code?, status?, message?, times?, probability?,
 * inbox? (or to?), from?, pattern?, delayMs?, limit?, windowMs?, per? }`. `fixedInbox` comes from the
 * path of `POST /api/inboxes/:address/faults`, which then takes no `inbox`/`to` in the body. A
 * `reply` rule without `times` and `probability` fires once; every other behaviour keeps working
 * until it is removed.
 */
export function parseFaultRuleInput(body: unknown, fixedInbox?: string): FaultRuleInput {
  const fields = bodyFields(body);
  const behavior = parseBehavior(fields.behavior);
  const stage = parseStage(fields.stage, behavior);
  const code = parseCode(fields.code, behavior, stage);
  const status = parseStatus(fields.status, code);
  const probability = fields.probability === undefined ? null : parseProbability(fields.probability);
  const times = fields.times === undefined || fields.times === null ? undefined : parseTimes(fields.times);
  for (const name of ["delayMs", "limit", "windowMs", "per"] as const) {
    if (fields[name] !== undefined && !TAKES[name].includes(behavior)) {
      throw new InvalidFaultRuleError(
        name,
        `Invalid "${name}": only ${TAKES[name].join(" and ")} rules take it, not ${behavior}`,
      );
    }
  }

  if (fields.inbox !== undefined && fields.to !== undefined) {
    throw new InvalidFaultRuleError("to", 'Invalid "to": give the inbox as "inbox" or "to", not both');
  }
  const inboxField = fields.inbox !== undefined ? "inbox" : "to";
  const inboxValue = fields.inbox ?? fields.to;
  if (fixedInbox !== undefined && inboxValue !== undefined) {
    throw new InvalidFaultRuleError(inboxField, `Invalid "${inboxField}": the inbox is the one in the path`);
  }
  const inbox = fixedInbox ?? (inboxValue === undefined ? null : parseMailbox(inboxField, inboxValue));
  const from = fields.from === undefined ? null : parseMailbox("from", fields.from);
  const pattern = fields.pattern === undefined ? null : parsePattern(fields.pattern);
  for (const [name, value] of [
    [inboxField, inbox],
    ["pattern", pattern],
  ] as const) {
    if (value !== null && !MATCHABLE[stage].inbox) {
      throw new InvalidFaultRuleError(
        name,
        `Invalid "${name}": no recipient is known at the ${stage} stage; use rcpt, data or disconnect`,
      );
    }
  }
  if (from !== null && !MATCHABLE[stage].from) {
    throw new InvalidFaultRuleError(
      "from",
      'Invalid "from": no sender is known at the connect stage; use mail or a later stage',
    );
  }
  if (behavior === "unknown-user" && inbox === null && pattern === null) {
    throw new InvalidFaultRuleError(
      "pattern",
      'Invalid "pattern": an unknown-user rule needs the recipients it makes unknown, as a pattern (e.g. "old-*@app.test") or an inbox',
    );
  }

  const delayMs =
    fields.delayMs === undefined
      ? behavior === "greylist"
        ? DEFAULT_GREYLIST_DELAY_MS
        : null
      : parseWhole("delayMs", fields.delayMs, 0, MAX_FAULT_DELAY_MS);
  if (delayMs === null && (behavior === "slow" || behavior === "tarpit")) {
    throw invalid("delayMs", `the delay in ms, from 0 to ${MAX_FAULT_DELAY_MS}`, undefined);
  }
  const limit = fields.limit === undefined ? null : parseWhole("limit", fields.limit, 1, MAX_FAULT_LIMIT);
  if (limit === null && TAKES.limit.includes(behavior)) {
    throw invalid(
      "limit",
      behavior === "rate-limit"
        ? `the number of messages allowed per window, from 1 to ${MAX_FAULT_LIMIT}`
        : `the number of parallel connections allowed from one client, from 1 to ${MAX_FAULT_LIMIT}`,
      undefined,
    );
  }
  const message =
    fields.message === undefined || fields.message === null ? null : parseMessage(fields.message) || null;
  const rateLimited = behavior === "rate-limit";
  const windowMs =
    fields.windowMs === undefined
      ? rateLimited
        ? DEFAULT_RATE_WINDOW_MS
        : null
      : parseWhole("windowMs", fields.windowMs, 1, MAX_FAULT_WINDOW_MS);
  const per = fields.per === undefined ? (rateLimited ? "sender" : null) : parseScope(fields.per);

  return {
    behavior,
    stage,
    code,
    status: status ?? defaultStatus(behavior, code, stage, message),
    message,
    inbox,
    from,
    pattern,
    // A bare reply rule means "fail the next one"; a probability alone means "keep failing at that
    // rate"; the other behaviours describe how a server is, so they stay until removed.
    times: times ?? (behavior === "reply" && probability === null ? 1 : null),
    probability: probability ?? 1,
    delayMs,
    limit,
    windowMs,
    per,
  };
}

/**
 * `--chaos <stage>:<code>:<probability>` (e.g. `rcpt:451:0.1`); `disconnect:<probability>` (or
 * `disconnect::0.05`) for the stage that answers nothing.
 */
export function parseChaosSpec(raw: string): ChaosSpec {
  const parts = raw.trim().split(":");
  const expected = "<stage>:<code>:<probability> such as rcpt:451:0.1 (or disconnect:0.05)";
  const stage = parts[0] ?? "";
  let codeText: string | undefined;
  let probabilityText: string | undefined;
  if (parts.length === 3) [, codeText, probabilityText] = parts;
  else if (parts.length === 2 && stage === "disconnect") [, probabilityText] = parts;
  else throw new InvalidFaultRuleError("chaos", `expected ${expected}, got ${JSON.stringify(raw)}`);

  const number = (text: string | undefined) => (text === undefined || text === "" ? undefined : Number(text));
  try {
    const input = parseFaultRuleInput({
      stage,
      code: number(codeText),
      probability: number(probabilityText),
    });
    return { stage: input.stage, code: input.code, probability: input.probability };
  } catch (error) {
    if (!(error instanceof InvalidFaultRuleError)) throw error;
    throw new InvalidFaultRuleError(
      "chaos",
      `${error.message} in ${JSON.stringify(raw)} (expected ${expected})`,
    );
  }
}

/** The rule a `--chaos` spec stands for: every transaction, no limit, its probability. */
export function chaosRuleInput(spec: ChaosSpec): FaultRuleInput {
  return parseFaultRuleInput({
    stage: spec.stage,
    ...(spec.code === null ? {} : { code: spec.code }),
    probability: spec.probability,
  });
}

function bodyFields(body: unknown): BodyFields {
  return fields$.body(body, BODY_FIELDS, '{"stage":"rcpt","code":451}');
}

function parseBehavior(value: unknown): FaultBehavior {
  return value === undefined ? "reply" : fields$.oneOf("behavior", value, FAULT_BEHAVIORS);
}

function parseStage(value: unknown, behavior: FaultBehavior): FaultStage {
  const { stages, stage: fallback } = BEHAVIOR_DEFAULTS[behavior];
  if (value === undefined && fallback !== null) return fallback;
  if (typeof value !== "string" || !(FAULT_STAGES as readonly string[]).includes(value)) {
    throw invalid("stage", `one of ${stages.join(", ")}`, value);
  }
  if (!stages.includes(value as FaultStage)) {
    throw invalid("stage", `one of ${stages.join(", ")} for a ${behavior} rule`, value);
  }
  return value as FaultStage;
}

function parseCode(value: unknown, behavior: FaultBehavior, stage: FaultStage): number | null {
  const defaults = BEHAVIOR_DEFAULTS[behavior];
  if (stage === "disconnect" || !defaults.refuses) {
    if (value === undefined || value === null) return null;
    throw invalid(
      "code",
      stage === "disconnect"
        ? "nothing: the disconnect stage drops the connection without a reply"
        : `nothing: a ${behavior} rule refuses nothing`,
      value,
    );
  }
  if (value === undefined && defaults.code !== null) return checkGreeting(defaults.code, stage);
  const temporaryOnly =
    behavior === "greylist" || behavior === "rate-limit" || behavior === "connection-limit";
  const max = temporaryOnly ? 499 : 599;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 400 || value > max) {
    throw invalid(
      "code",
      temporaryOnly
        ? `a temporary SMTP reply code from 400 to 499 for a ${behavior} rule`
        : "an SMTP reply code from 400 to 599 (4xx: retry later, 5xx: give up)",
      value,
    );
  }
  return checkGreeting(value, stage);
}

/**
 * A refusal instead of the greeting may only be 421 or 554 (RFC 5321 section 4.3.2): a 550 or 451
 * there is a reply no server sends, so a fault test would exercise a client path no MTA takes.
 */
function checkGreeting(code: number, stage: FaultStage): number {
  if (stage !== "connect" || code === 421 || code === 554) return code;
  throw invalid(
    "code",
    "421 or 554 at the connect stage (RFC 5321 section 4.3.2 allows no other greeting)",
    code,
  );
}

function parseStatus(value: unknown, code: number | null): string | null {
  if (value === undefined || value === null) return null;
  if (code === null) throw invalid("status", "nothing: a rule that sends no reply code has no status", value);
  const klass = String(code).charAt(0);
  if (typeof value !== "string" || !ENHANCED_STATUS_PATTERN.test(value) || value.charAt(0) !== klass) {
    throw invalid("status", `an enhanced status code of the reply's class, such as ${klass}.7.1`, value);
  }
  return value;
}

function parseProbability(value: unknown): number {
  return fields$.probability(value);
}

function parseTimes(value: unknown): number {
  return fields$.whole("times", value, 1, MAX_TIMES);
}

function parseWhole(name: string, value: unknown, min: number, max: number): number {
  return fields$.whole(name, value, min, max);
}

function parseScope(value: unknown): RateLimitScope {
  return fields$.oneOf("per", value, RATE_LIMIT_SCOPES);
}

function parseMessage(value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_FAULT_MESSAGE_LENGTH || !REPLY_TEXT.test(value)) {
    throw invalid(
      "message",
      `printable ASCII text of at most ${MAX_FAULT_MESSAGE_LENGTH} characters, on one line`,
      value,
    );
  }
  return value.trim();
}

function parseMailbox(name: string, value: unknown): string {
  return fields$.mailbox(name, value);
}

function parsePattern(value: unknown): string {
  const pattern = typeof value === "string" ? normalizeAddress(value) : "";
  if (pattern === "" || pattern.length > MAX_FAULT_PATTERN_LENGTH || /[\s<>]/.test(pattern)) {
    throw invalid(
      "pattern",
      `an address pattern of at most ${MAX_FAULT_PATTERN_LENGTH} characters, * for any characters and ? for one, such as old-*@app.test`,
      value,
    );
  }
  return pattern;
}
