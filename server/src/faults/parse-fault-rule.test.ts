import { describe, expect, it } from "vitest";
import { InvalidFaultRuleError } from "./invalid-fault-rule-error.js";
import { chaosRuleInput, parseChaosSpec, parseFaultRuleInput } from "./parse-fault-rule.js";

function refusal(body: unknown, fixedInbox?: string): InvalidFaultRuleError {
  try {
    parseFaultRuleInput(body, fixedInbox);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidFaultRuleError);
    return error as InvalidFaultRuleError;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

describe("parseFaultRuleInput", () => {
  it("fires once by default, normalizes the inbox (or `to`) and the sender", () => {
    expect(
      parseFaultRuleInput({ stage: "rcpt", code: 451, to: " <Ann@Example.TEST> ", from: "App@X.test" }),
    ).toEqual({
      stage: "rcpt",
      code: 451,
      message: null,
      inbox: "ann@example.test",
      from: "app@x.test",
      times: 1,
      probability: 1,
    });
  });

  it("a probability alone keeps firing at that rate; with times it stops after that many", () => {
    expect(parseFaultRuleInput({ stage: "data", code: 554, probability: 0.25 })).toMatchObject({
      times: null,
      probability: 0.25,
    });
    expect(parseFaultRuleInput({ stage: "data", code: 554, probability: 0.25, times: 3 })).toMatchObject({
      times: 3,
    });
  });

  it("takes the inbox from the path of the inbox shortcut, and a disconnect without a code", () => {
    expect(parseFaultRuleInput({ stage: "disconnect" }, "box@mailnest.test")).toMatchObject({
      stage: "disconnect",
      code: null,
      inbox: "box@mailnest.test",
    });
  });

  it.each([
    [undefined, "body"],
    [[], "body"],
    [{ stage: "helo", code: 451 }, "stage"],
    [{ stage: "rcpt" }, "code"],
    [{ stage: "rcpt", code: 250 }, "code"],
    [{ stage: "rcpt", code: 451.5 }, "code"],
    [{ stage: "rcpt", code: "451" }, "code"],
    [{ stage: "disconnect", code: 421 }, "code"],
    [{ stage: "rcpt", code: 451, times: 0 }, "times"],
    [{ stage: "rcpt", code: 451, probability: 1.5 }, "probability"],
    [{ stage: "rcpt", code: 451, message: "oops\r\n250 OK" }, "message"],
    [{ stage: "rcpt", code: 451, message: "x".repeat(201) }, "message"],
    [{ stage: "rcpt", code: 451, to: "not-an-address" }, "to"],
    [{ stage: "rcpt", code: 451, inbox: "a@x.test", to: "a@x.test" }, "to"],
    [{ stage: "mail", code: 451, inbox: "a@x.test" }, "inbox"],
    [{ stage: "connect", code: 421, from: "a@x.test" }, "from"],
    [{ stage: "rcpt", code: 451, recipient: "a@x.test" }, "recipient"],
  ])("refuses %j naming %s", (body, parameter) => {
    expect(refusal(body).parameter).toBe(parameter);
  });

  it("refuses an inbox in the body of the inbox shortcut", () => {
    expect(refusal({ stage: "rcpt", code: 451, inbox: "b@x.test" }, "a@x.test").parameter).toBe("inbox");
  });

  it("says what it expected and what it got", () => {
    expect(refusal({ stage: "rcpt", code: 250 }).message).toBe(
      'Invalid "code": expected an SMTP reply code from 400 to 599 (4xx: retry later, 5xx: give up), got 250',
    );
  });
});

describe("parseChaosSpec", () => {
  it("reads stage:code:probability, and disconnect:probability", () => {
    expect(parseChaosSpec("rcpt:451:0.1")).toEqual({ stage: "rcpt", code: 451, probability: 0.1 });
    expect(parseChaosSpec("disconnect:0.05")).toEqual({ stage: "disconnect", code: null, probability: 0.05 });
    expect(parseChaosSpec("disconnect::1")).toEqual({ stage: "disconnect", code: null, probability: 1 });
  });

  it.each(["rcpt", "rcpt:451", "rcpt:abc:0.1", "rcpt:451:2", "mail:451:0.1:x", "sometimes:451:0.1"])(
    "refuses %j",
    (raw) => {
      expect(() => parseChaosSpec(raw)).toThrow(InvalidFaultRuleError);
    },
  );

  it("stands for a rule on every transaction, without a limit", () => {
    expect(chaosRuleInput({ stage: "rcpt", code: 451, probability: 0.1 })).toEqual({
      stage: "rcpt",
      code: 451,
      probability: 0.1,
      message: null,
      inbox: null,
      from: null,
      times: null,
    });
  });
});
