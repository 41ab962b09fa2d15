import { GENERATED_REPORT_HEADER, type HeaderLine, type ReportKind } from "@mailnest/protocol";

/** What `X-Mailnest-Report` says about a message Mailnest made after accepting another one. */
export interface GeneratedReport {
  kind: ReportKind | "delay";
  /** "rule rpt_…" or "simulator address bounce". */
  origin: string;
  /** The Mailnest id of the message it is about, or null. */
  originalId: string | null;
}

const LABELS: Record<string, string> = {
  bounce: "Bounce report (DSN)",
  delay: "Delay report (DSN)",
  complaint: "Complaint (ARF)",
  "auto-reply": "Auto-reply",
};

/**
 * Reads `X-Mailnest-Report: bounce; rule=rpt_…; original=<id>` (docs/after-acceptance.md), or null
 * for a message an app sent. Only the first such header counts; anything unexpected is ignored.
 */
export function generatedReportOf(headers: readonly HeaderLine[]): GeneratedReport | null {
  const name = GENERATED_REPORT_HEADER.toLowerCase();
  const value = headers.find((header) => header.name.toLowerCase() === name)?.value;
  if (value === undefined) return null;
  const [kind = "", ...parameters] = value.split(";").map((part) => part.trim());
  if (!(kind in LABELS)) return null;
  const fields = new Map(
    parameters.map((parameter) => {
      const at = parameter.indexOf("=");
      return [parameter.slice(0, at).trim(), parameter.slice(at + 1).trim()] as const;
    }),
  );
  const rule = fields.get("rule");
  const simulator = fields.get("simulator");
  const original = fields.get("original") ?? "";
  return {
    kind: kind as GeneratedReport["kind"],
    origin: rule ? `rule ${rule}` : simulator ? `simulator address ${simulator}@` : "a rule",
    originalId: /^[0-9a-z]{26}$/.test(original) ? original : null,
  };
}

export function reportLabel(report: GeneratedReport): string {
  return LABELS[report.kind] ?? "Report";
}
