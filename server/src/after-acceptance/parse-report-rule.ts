import {
  ENHANCED_STATUS_PATTERN,
  FEEDBACK_TYPES,
  type FeedbackType,
  MAX_REPORT_DELAY_MS,
  MAX_REPORT_LINE_LENGTH,
  MAX_REPORT_TEXT_LENGTH,
  REPORT_KINDS,
  RETURN_CONTENT,
  type ReportKind,
  type ReturnContent,
} from "@mailnest/protocol";
import { ruleFields } from "../rules/rule-fields.js";
import { InvalidReportRuleError } from "./invalid-report-rule-error.js";
import { DEFAULT_STATUS, type ReportRuleInput, type ReportSpec } from "./report-rule.js";

const COMMON_FIELDS = ["kind", "inbox", "to", "from", "times", "probability", "delayMs"] as const;
/** The fields each kind takes besides the common ones. */
const KIND_FIELDS: Record<ReportKind, readonly string[]> = {
  bounce: ["status", "diagnostic", "returnContent"],
  delay: ["status", "diagnostic", "failAfterMs", "failStatus", "returnContent"],
  complaint: ["feedbackType", "reportTo", "returnContent"],
  "auto-reply": ["subject", "text"],
};
const ALL_FIELDS = [...new Set([...COMMON_FIELDS, ...Object.values(KIND_FIELDS).flat()])];
const MAX_TIMES = 1_000_000;
const fields$ = ruleFields((parameter, message) => new InvalidReportRuleError(parameter, message));
const invalid = fields$.fail;
/** A DSN field value: printable ASCII on one line (RFC 3464 fields are header-like). */
const FIELD_TEXT = /^[\x20-\x7e]*$/;
/** No control characters but tab (a subject is one header line). */
const LINE_TEXT = /^[^\x00-\x08\x0a-\x1f\x7f]*$/u;

/**
 * A rule from an API body. `fixedInbox` comes from the path of `POST /api/inboxes/:address/reports`,
 * which then takes no `inbox`/`to` in the body. Without `times` and `probability` a rule reports
 * one message.
 */
export function parseReportRuleInput(body: unknown, fixedInbox?: string): ReportRuleInput {
  const fields = fields$.body(body, ALL_FIELDS, '{"kind":"bounce","status":"5.1.1"}');
  const kind = fields$.oneOf("kind", fields.kind, REPORT_KINDS);
  for (const key of Object.keys(fields)) {
    if (!(COMMON_FIELDS as readonly string[]).includes(key) && !KIND_FIELDS[kind].includes(key)) {
      const takers = REPORT_KINDS.filter((other) => KIND_FIELDS[other].includes(key));
      throw new InvalidReportRuleError(
        key,
        `Invalid "${key}": only ${takers.join(" and ")} rules take it, not ${kind}`,
      );
    }
  }

  if (fields.inbox !== undefined && fields.to !== undefined) {
    throw new InvalidReportRuleError("to", 'Invalid "to": give the inbox as "inbox" or "to", not both');
  }
  const inboxField = fields.inbox !== undefined ? "inbox" : "to";
  const inboxValue = fields.inbox ?? fields.to;
  if (fixedInbox !== undefined && inboxValue !== undefined) {
    throw new InvalidReportRuleError(inboxField, `Invalid "${inboxField}": the inbox is the one in the path`);
  }
  const probability = fields.probability === undefined ? null : fields$.probability(fields.probability);
  const times =
    fields.times === undefined || fields.times === null
      ? undefined
      : whole("times", fields.times, 1, MAX_TIMES);

  const failAfterMs = optional(fields.failAfterMs, (value) =>
    whole("failAfterMs", value, 0, MAX_REPORT_DELAY_MS),
  );
  if (fields.failStatus !== undefined && failAfterMs === null) {
    throw new InvalidReportRuleError(
      "failStatus",
      'Invalid "failStatus": it is the status of the failed DSN that "failAfterMs" asks for; give that too',
    );
  }
  const statusClass = kind === "delay" ? "4" : "5";
  const status = optional(fields.status, (value) => parseStatus("status", value, statusClass));

  return {
    kind,
    inbox: fixedInbox ?? (inboxValue === undefined ? null : parseMailbox(inboxField, inboxValue)),
    from: optional(fields.from, (value) => parseMailbox("from", value)),
    // A bare rule means "report the next one"; a probability alone means "keep reporting at that rate".
    times: times ?? (probability === null ? 1 : null),
    probability: probability ?? 1,
    delayMs: optional(fields.delayMs, (value) => whole("delayMs", value, 0, MAX_REPORT_DELAY_MS)) ?? 0,
    status: kind === "bounce" || kind === "delay" ? (status ?? DEFAULT_STATUS[kind]) : null,
    diagnostic: optional(fields.diagnostic, (value) => fieldText("diagnostic", value)),
    failAfterMs,
    failStatus:
      failAfterMs === null
        ? null
        : (optional(fields.failStatus, (value) => parseStatus("failStatus", value, "5")) ??
          DEFAULT_STATUS.failAfterDelay),
    feedbackType: kind === "complaint" ? (optional(fields.feedbackType, parseFeedbackType) ?? "abuse") : null,
    reportTo: optional(fields.reportTo, (value) => parseMailbox("reportTo", value)),
    subject: optional(fields.subject, (value) => lineText("subject", value)),
    text: optional(fields.text, parseText),
    returnContent: optional(fields.returnContent, parseReturnContent),
  };
}

/**
 * `--report <kind>[:<status>]:<probability>`, e.g. `bounce:5.1.1:0.05`, `complaint:0.01`,
 * `auto-reply:1`: that report for every accepted message, with that probability.
 */
export function parseReportSpec(raw: string): ReportSpec {
  const parts = raw.trim().split(":");
  const expected = "<kind>[:<status>]:<probability> such as bounce:5.1.1:0.05 or complaint:0.01";
  const [kind, second, third] = parts;
  if (parts.length < 2 || parts.length > 3) {
    throw new InvalidReportRuleError("report", `expected ${expected}, got ${JSON.stringify(raw)}`);
  }
  const statusText = parts.length === 3 ? second : undefined;
  const probabilityText = parts.length === 3 ? third : second;
  try {
    const input = parseReportRuleInput({
      kind,
      ...(statusText === undefined || statusText === "" ? {} : { status: statusText }),
      probability:
        probabilityText === undefined || probabilityText === "" ? undefined : Number(probabilityText),
    });
    return { kind: input.kind, status: input.status, probability: input.probability };
  } catch (error) {
    if (!(error instanceof InvalidReportRuleError)) throw error;
    throw new InvalidReportRuleError(
      "report",
      `${error.message} in ${JSON.stringify(raw)} (expected ${expected})`,
    );
  }
}

/** The rule a `--report` spec stands for: every message, no limit, its probability. */
export function specRuleInput(spec: ReportSpec): ReportRuleInput {
  return parseReportRuleInput({
    kind: spec.kind,
    ...(spec.status === null ? {} : { status: spec.status }),
    probability: spec.probability,
  });
}

function optional<T>(value: unknown, parse: (value: unknown) => T): T | null {
  return value === undefined || value === null ? null : parse(value);
}

function parseStatus(name: string, value: unknown, statusClass: "4" | "5"): string {
  if (typeof value !== "string" || !ENHANCED_STATUS_PATTERN.test(value) || value.charAt(0) !== statusClass) {
    const meaning = statusClass === "4" ? "a delay is temporary" : "a bounce is permanent";
    throw invalid(
      name,
      `an enhanced status code ${statusClass}.x.x such as ${statusClass}.1.1 (${meaning})`,
      value,
    );
  }
  return value;
}

function whole(name: string, value: unknown, min: number, max: number): number {
  return fields$.whole(name, value, min, max);
}

function fieldText(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_REPORT_LINE_LENGTH || !FIELD_TEXT.test(value)) {
    throw invalid(
      name,
      `printable ASCII text of at most ${MAX_REPORT_LINE_LENGTH} characters, on one line`,
      value,
    );
  }
  return value.trim();
}

function lineText(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_REPORT_LINE_LENGTH || !LINE_TEXT.test(value)) {
    throw invalid(name, `text of at most ${MAX_REPORT_LINE_LENGTH} characters, on one line`, value);
  }
  return value.trim();
}

function parseText(value: unknown): string {
  if (typeof value !== "string" || value.length > MAX_REPORT_TEXT_LENGTH || value.includes("\0")) {
    throw invalid("text", `text of at most ${MAX_REPORT_TEXT_LENGTH} characters`, value);
  }
  return value;
}

function parseFeedbackType(value: unknown): FeedbackType {
  return fields$.oneOf("feedbackType", value, FEEDBACK_TYPES);
}

function parseReturnContent(value: unknown): ReturnContent {
  return fields$.oneOf("returnContent", value, RETURN_CONTENT);
}

function parseMailbox(name: string, value: unknown): string {
  return fields$.mailbox(name, value);
}
