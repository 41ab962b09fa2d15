import { REPORT_KINDS, type ReportRuleRequest } from "@mailnest/protocol";
import { describeValue } from "../util/describe.js";
import type { ReportRuleOptions } from "./report-types.js";

/** SDK option → wire field, and the type each must have. */
const FIELDS: Record<string, { wire: keyof ReportRuleRequest; type: "string" | "number" }> = {
  inbox: { wire: "inbox", type: "string" },
  from: { wire: "from", type: "string" },
  times: { wire: "times", type: "number" },
  probability: { wire: "probability", type: "number" },
  delay: { wire: "delayMs", type: "number" },
  status: { wire: "status", type: "string" },
  diagnostic: { wire: "diagnostic", type: "string" },
  failAfter: { wire: "failAfterMs", type: "number" },
  failStatus: { wire: "failStatus", type: "string" },
  feedbackType: { wire: "feedbackType", type: "string" },
  reportTo: { wire: "reportTo", type: "string" },
  subject: { wire: "subject", type: "string" },
  text: { wire: "text", type: "string" },
  returnContent: { wire: "returnContent", type: "string" },
};

/**
 * Checks report options before they go to the server, with a `TypeError` that says what was
 * expected, and writes the wire body (`delay` → `delayMs`, `failAfter` → `failAfterMs`). The
 * server checks the values again (status classes, bounds) and answers 400 naming the field.
 */
export function toReportRuleRequest(options: unknown, label: string, allowInbox: boolean): ReportRuleRequest {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Expected ${label} options such as { status: "5.1.1" }; got ${describeValue(options)}`,
    );
  }
  const fields = options as Record<string, unknown>;
  const kind = fields.kind;
  if (typeof kind !== "string" || !(REPORT_KINDS as readonly string[]).includes(kind)) {
    throw new TypeError(
      `Expected ${label} kind to be one of ${REPORT_KINDS.join(", ")}; got ${describeValue(kind)}`,
    );
  }
  const body: Record<string, unknown> = { kind };
  for (const [key, value] of Object.entries(fields)) {
    if (key === "kind" || value === undefined) continue;
    const field = FIELDS[key];
    if (field === undefined || (key === "inbox" && !allowInbox)) {
      const known = Object.keys(FIELDS).filter((name) => allowInbox || name !== "inbox");
      throw new TypeError(`Unknown ${label} option "${key}"; expected one of: ${known.join(", ")}`);
    }
    if (typeof value !== field.type || (field.type === "number" && !Number.isFinite(value))) {
      throw new TypeError(`Expected ${label} ${key} to be a ${field.type}; got ${describeValue(value)}`);
    }
    body[field.wire] = value;
  }
  return body as unknown as ReportRuleRequest;
}

/** `inbox.bounceNext(options)` and friends: the kind is the method's, the inbox the handle's. */
export function inboxReportRequest(
  kind: ReportRuleOptions["kind"],
  options: object,
  label: string,
): ReportRuleRequest {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Expected ${label} options to be an object; got ${describeValue(options)}`);
  }
  if ("kind" in options) throw new TypeError(`${label} makes ${kind} rules: leave out "kind"`);
  return toReportRuleRequest({ ...options, kind }, label, false);
}
