import { describe, expect, it } from "vitest";
import { generatedReportOf, reportLabel } from "./generated-report.js";

describe("generatedReportOf", () => {
  it("reads the kind, what asked for it and the original", () => {
    const report = generatedReportOf([
      { name: "Subject", value: "Undelivered Mail Returned to Sender" },
      { name: "X-Mailnest-Report", value: "bounce; simulator=bounce; original=01jd8z3k4m5n6p7q8r9s0t1v2w" },
    ]);
    expect(report).toEqual({
      kind: "bounce",
      origin: "simulator address bounce@",
      originalId: "01jd8z3k4m5n6p7q8r9s0t1v2w",
    });
    expect(reportLabel(report ?? { kind: "bounce", origin: "", originalId: null })).toBe(
      "Bounce report (DSN)",
    );
    expect(
      generatedReportOf([{ name: "x-mailnest-report", value: "auto-reply; rule=rpt_abc; original=x" }]),
    ).toEqual({
      kind: "auto-reply",
      origin: "rule rpt_abc",
      originalId: null,
    });
  });

  it("is null for mail an app sent, or a header it does not understand", () => {
    expect(generatedReportOf([{ name: "From", value: "app@example.test" }])).toBeNull();
    expect(generatedReportOf([{ name: "X-Mailnest-Report", value: "<script>" }])).toBeNull();
  });
});
