import { MAX_FAULT_MESSAGE_LENGTH, normalizeAddress } from "@mailnest/protocol";
import { type ChaosSpec, FAULT_STAGES, type FaultRuleInput, type FaultStage } from "./fault-rule.js";
import { InvalidFaultRuleError } from "./invalid-fault-rule-error.js";

const BODY_FIELDS = ["stage", "code", "message", "times", "probability", "inbox", "to", "from"] as const;
const MAX_TIMES = 1_000_000;
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

/**
 * A rule from an API body: `{ stage, code, message?, times?, probability?, inbox? (or to?), from? }`.
 * `fixedInbox` comes from the path of `POST /api/inboxes/:address/faults`, which then takes no
 * `inbox`/`to` in the body. Without `times` and `probability` a rule fires once.
 */
export function parseFaultRuleInput(body: unknown, fixedInbox?: string): FaultRuleInput {
  const fields = bodyFields(body);
  const stage = parseStage(fields.stage);
  const code = parseCode(fields.code, stage);
  const probability = fields.probability === undefined ? null : parseProbability(fields.probability);
  const times = fields.times === undefined || fields.times === null ? undefined : parseTimes(fields.times);

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
  if (inbox !== null && !MATCHABLE[stage].inbox) {
    throw new InvalidFaultRuleError(
      inboxField,
      `Invalid "${inboxField}": no recipient is known at the ${stage} stage; use rcpt, data or disconnect`,
    );
  }
  if (from !== null && !MATCHABLE[stage].from) {
    throw new InvalidFaultRuleError(
      "from",
      'Invalid "from": no sender is known at the connect stage; use mail or a later stage',
    );
  }

  return {
    stage,
    code,
    message:
      fields.message === undefined || fields.message === null ? null : parseMessage(fields.message) || null,
    inbox,
    from,
    // A bare rule means "fail the next one"; a probability alone means "keep failing at that rate".
    times: times ?? (probability === null ? 1 : null),
    probability: probability ?? 1,
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
  return { ...spec, message: null, inbox: null, from: null, times: null };
}

function bodyFields(body: unknown): Partial<Record<(typeof BODY_FIELDS)[number], unknown>> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", 'a JSON object such as {"stage":"rcpt","code":451}', body);
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(BODY_FIELDS as readonly string[]).includes(key)) {
      throw invalid(key, `no such field (known: ${BODY_FIELDS.join(", ")})`, fields[key]);
    }
  }
  return fields;
}

function parseStage(value: unknown): FaultStage {
  if (typeof value !== "string" || !(FAULT_STAGES as readonly string[]).includes(value)) {
    throw invalid("stage", `one of ${FAULT_STAGES.join(", ")}`, value);
  }
  return value as FaultStage;
}

function parseCode(value: unknown, stage: FaultStage): number | null {
  if (stage === "disconnect") {
    if (value === undefined || value === null) return null;
    throw invalid("code", "nothing: the disconnect stage drops the connection without a reply", value);
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 400 || value > 599) {
    throw invalid("code", "an SMTP reply code from 400 to 599 (4xx: retry later, 5xx: give up)", value);
  }
  return value;
}

function parseProbability(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw invalid("probability", "a number from 0 to 1", value);
  }
  return value;
}

function parseTimes(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > MAX_TIMES) {
    throw invalid("times", `a whole number from 1 to ${MAX_TIMES}`, value);
  }
  return value;
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
  const address = typeof value === "string" ? normalizeAddress(value) : "";
  const at = address.lastIndexOf("@");
  if (address.length > 320 || at < 1 || at === address.length - 1 || /[\s<>]/.test(address)) {
    throw invalid(name, "an email address such as user@mailnest.test", value);
  }
  return address;
}

function invalid(parameter: string, expected: string, received: unknown): InvalidFaultRuleError {
  const shown = received === undefined ? "nothing" : (JSON.stringify(received) ?? String(received));
  const clipped = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  return new InvalidFaultRuleError(parameter, `Invalid "${parameter}": expected ${expected}, got ${clipped}`);
}
