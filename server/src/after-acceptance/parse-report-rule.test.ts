import { describe, expect, it } from "vitest";
import { InvalidReportRuleError } from "./invalid-report-rule-error.js";
import { parseReportRuleInput, parseReportSpec, specRuleInput } from "./parse-report-rule.js";

function refusal(body: unknown, fixedInbox?: string): InvalidReportRuleError {
  try {
    parseReportRuleInput(body, fixedInbox);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReportRuleError);
    return error as InvalidReportRuleError;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

describe("parseReportRuleInput", () => {
  it("a bare bounce reports the next message with 5.1.1, right after the 250", () => {
    expect(parseReportRuleInput({ kind: "bounce", to: " <Ann@Customer.TEST> " })).toEqual({
      kind: "bounce",
      inbox: "ann@customer.test",
      from: null,
      times: 1,
      probability: 1,
      delayMs: 0,
      status: "5.1.1",
      diagnostic: null,
      failAfterMs: null,
      failStatus: null,
      feedbackType: null,
      reportTo: null,
      subject: null,
      text: null,
      returnContent: null,
    });
  });

  it("a delay defaults to 4.4.7 and, with failAfterMs, to a 5.4.7 failure after it", () => {
    expect(parseReportRuleInput({ kind: "delay", failAfterMs: 100 })).toMatchObject({
      status: "4.4.7",
      failAfterMs: 100,
      failStatus: "5.4.7",
    });
  });

  it("a complaint is an abuse report unless it says otherwise; a probability alone has no limit", () => {
    expect(parseReportRuleInput({ kind: "complaint", probability: 0.1 })).toMatchObject({
      feedbackType: "abuse",
      times: null,
      probability: 0.1,
    });
  });

  it.each([
    [undefined, "body"],
    [{ kind: "bounce", inbox: "a@x.test", to: "a@x.test" }, "to"],
    [{ kind: "bounce", status: "5.1" }, "status"],
    [{ kind: "bounce", times: 0 }, "times"],
    [{ kind: "bounce", probability: -0.1 }, "probability"],
    [{ kind: "bounce", delayMs: 1.5 }, "delayMs"],
    [{ kind: "bounce", diagnostic: "550 x\r\nInjected: yes" }, "diagnostic"],
    [{ kind: "bounce", diagnostic: "é" }, "diagnostic"],
    [{ kind: "complaint", reportTo: "nobody" }, "reportTo"],
    [{ kind: "complaint", feedbackType: "spam" }, "feedbackType"],
    [{ kind: "auto-reply", text: "x".repeat(10_001) }, "text"],
    [{ kind: "auto-reply", status: "5.1.1" }, "status"],
    [{ kind: "bounce", returnContent: "body" }, "returnContent"],
    [{ kind: "delay", failAfterMs: 10, failStatus: "4.4.7" }, "failStatus"],
  ])("refuses %j naming %s", (body, parameter) => {
    expect(refusal(body).parameter).toBe(parameter);
  });

  it("refuses an inbox in the body of the inbox shortcut", () => {
    expect(refusal({ kind: "bounce", inbox: "b@x.test" }, "a@x.test").parameter).toBe("inbox");
  });

  it("says which kinds take a field", () => {
    expect(refusal({ kind: "bounce", subject: "x" }).message).toBe(
      'Invalid "subject": only auto-reply rules take it, not bounce',
    );
  });
});

describe("parseReportSpec (--report)", () => {
  it("reads kind:status:probability and kind:probability", () => {
    expect(parseReportSpec("bounce:5.2.2:0.05")).toEqual({
      kind: "bounce",
      status: "5.2.2",
      probability: 0.05,
    });
    expect(parseReportSpec("complaint:0.01")).toEqual({ kind: "complaint", status: null, probability: 0.01 });
    expect(specRuleInput(parseReportSpec("auto-reply:1"))).toMatchObject({ kind: "auto-reply", times: null });
  });

  it.each(["bounce", "bounce:5.1.1:0.1:x", "bounce:x", "bounce:4.1.1:0.1", "teapot:0.1"])(
    "refuses %j",
    (raw) => {
      expect(() => parseReportSpec(raw)).toThrow(InvalidReportRuleError);
    },
  );
});
