/**
 * The model of reports after acceptance (docs/after-acceptance.md): a rule asks for a bounce,
 * delay, complaint or auto-reply for matching accepted mail. Plain JSON-safe data, kept in
 * `<dataDir>/reports.json` by `ReportRules`.
 */
import type { ReportKind, ReportRule } from "@mailnest/protocol";

export type {
  FeedbackType,
  PendingReport,
  ReportedMessage,
  ReportForward,
  ReportKind,
  ReportLogEntry,
  ReportRule,
  ReturnContent,
  SimulatorMailbox,
} from "@mailnest/protocol";
export { REPORT_KINDS, REPORT_RULE_ID_PATTERN } from "@mailnest/protocol";

/** What a client asks for (API body, SDK, `--report`), validated and normalized. */
export type ReportRuleInput = Omit<ReportRule, "id" | "remaining" | "triggered" | "origin" | "createdAt">;

/** `--report <kind>[:<status>]:<probability>`: a report for every message, with a probability. */
export interface ReportSpec {
  kind: ReportKind;
  status: string | null;
  probability: number;
}

/** The DSN `Status` of each kind when the rule names none (RFC 3463). */
export const DEFAULT_STATUS = {
  /** "Bad destination mailbox address": the commonest hard bounce. */
  bounce: "5.1.1",
  /** "Delivery time expired" (as a warning: still trying). */
  delay: "4.4.7",
  /** The `failed` DSN that follows a `delay`: delivery time expired for good. */
  failAfterDelay: "5.4.7",
} as const;

/** What an RFC 3463 status means, for a default `Diagnostic-Code` and the report's text. */
export function describeStatus(status: string): string {
  const known: Record<string, string> = {
    "5.1.1": "User unknown",
    "5.1.2": "Host unknown",
    "5.1.10": "Recipient address has null MX",
    "5.2.1": "Mailbox disabled",
    "5.2.2": "Mailbox full",
    "4.2.2": "Mailbox full",
    "5.3.4": "Message too big for system",
    "5.4.7": "Delivery time expired",
    "4.4.7": "Delivery time expired, still trying",
    "4.4.1": "No answer from host",
    "4.7.1": "Delivery not authorized, try again later",
    "5.7.1": "Delivery not authorized, message refused",
    "5.7.26": "Unauthenticated email is not accepted (DMARC)",
  };
  return known[status] ?? (status.startsWith("4") ? "Temporary failure" : "Permanent failure");
}
