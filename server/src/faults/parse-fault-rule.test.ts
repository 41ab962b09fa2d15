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
  it("gives a plain reply the enhanced status its code means at its stage", () => {
    const status = (stage: string, code: number, message?: string) =>
      parseFaultRuleInput({ stage, code, ...(message === undefined ? {} : { message }) }).status;
    expect(status("rcpt", 550)).toBe("5.1.1");
    expect(status("rcpt", 554)).toBe("5.0.0");
    expect(status("data", 554)).toBe("5.6.0");
    expect(status("mail", 550)).toBe("5.0.0");
    expect(status("mail", 553)).toBe("5.1.7");
    expect(status("mail", 452)).toBe("4.3.1");
    expect(status("rcpt", 452)).toBe("4.2.2");
    expect(status("data", 451)).toBe("4.3.0");
    expect(status("rcpt", 421)).toBe("4.4.2");
    expect(status("mail", 530)).toBe("5.7.0");
    expect(status("rcpt", 499)).toBe("4.0.0");
    // The greeting carries none (RFC 2034: before EHLO), and a text's own status of the class wins.
    expect(status("connect", 421)).toBeNull();
    expect(status("rcpt", 451, "4.7.1 Greylisted")).toBe("4.7.1");
    expect(status("rcpt", 451, "5.1.1 looks permanent")).toBe("4.3.0");
  });

  it("fires once by default, normalizes the inbox (or `to`) and the sender", () => {
    expect(
      parseFaultRuleInput({ stage: "rcpt", code: 451, to: " <Ann@Example.TEST> ", from: "App@X.test" }),
    ).toEqual({
      behavior: "reply",
      stage: "rcpt",
      code: 451,
      status: "4.3.0",
      message: null,
      inbox: "ann@example.test",
      from: "app@x.test",
      pattern: null,
      times: 1,
      probability: 1,
      delayMs: null,
      limit: null,
      windowMs: null,
      per: null,
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

  it("refuses at the connect stage every greeting refusal but 421 and 554 (RFC 5321 section 4.3.2)", () => {
    for (const code of [550, 451, 503]) {
      expect(refusal({ stage: "connect", code }).message).toMatch(
        /^Invalid "code": expected 421 or 554 at the connect stage/,
      );
    }
    expect(parseFaultRuleInput({ stage: "connect", code: 554 }).code).toBe(554);
    expect(parseFaultRuleInput({ stage: "connect", code: 421 }).code).toBe(421);
    expect(() => parseChaosSpec("connect:550:0.5")).toThrow(/421 or 554/);
  });

  it("says what it expected and what it got", () => {
    expect(refusal({ stage: "rcpt", code: 250 }).message).toBe(
      'Invalid "code": expected an SMTP reply code from 400 to 599 (4xx: retry later, 5xx: give up), got 250',
    );
  });
});

describe("parseFaultRuleInput: behaviours", () => {
  it("gives each behaviour its stage, code and status, and keeps it until removed", () => {
    expect(parseFaultRuleInput({ behavior: "greylist", delayMs: 50 })).toMatchObject({
      stage: "rcpt",
      code: 451,
      status: "4.7.1",
      delayMs: 50,
      times: null,
    });
    expect(parseFaultRuleInput({ behavior: "greylist" })).toMatchObject({ delayMs: 300_000 });
    expect(parseFaultRuleInput({ behavior: "rate-limit", limit: 3 })).toMatchObject({
      stage: "mail",
      code: 421,
      status: "4.7.0",
      per: "sender",
      windowMs: 60_000,
    });
    expect(parseFaultRuleInput({ behavior: "rate-limit", limit: 3, code: 451, per: "client" })).toMatchObject(
      { code: 451, status: "4.7.1", per: "client" },
    );
    expect(parseFaultRuleInput({ behavior: "connection-limit", limit: 2 })).toMatchObject({
      stage: "connect",
      code: 421,
      status: "4.7.0",
    });
    expect(parseFaultRuleInput({ behavior: "mailbox-full", code: 552, stage: "data" })).toMatchObject({
      status: "5.2.2",
    });
    expect(parseFaultRuleInput({ behavior: "mailbox-full" })).toMatchObject({ code: 452, status: "4.2.2" });
    expect(parseFaultRuleInput({ behavior: "unknown-user", pattern: "Old-*@App.test" })).toMatchObject({
      code: 550,
      status: "5.1.1",
      pattern: "old-*@app.test",
    });
    expect(parseFaultRuleInput({ behavior: "blackhole" })).toMatchObject({ stage: "data", code: null });
    expect(parseFaultRuleInput({ behavior: "tarpit", delayMs: 10 })).toMatchObject({ stage: "rcpt" });
    expect(parseFaultRuleInput({ behavior: "slow", stage: "connect", delayMs: 10 })).toMatchObject({
      code: null,
      times: null,
    });
  });

  it("takes a status of the code's class for a plain reply", () => {
    expect(parseFaultRuleInput({ stage: "rcpt", code: 451, status: "4.7.1" })).toMatchObject({
      status: "4.7.1",
    });
  });

  it.each([
    [{ behavior: "teapot" }, "behavior"],
    [{ behavior: "greylist", stage: "mail" }, "stage"],
    [{ behavior: "greylist", code: 550 }, "code"],
    [{ behavior: "greylist", delayMs: -1 }, "delayMs"],
    [{ behavior: "greylist", delayMs: 600_001 }, "delayMs"],
    [{ behavior: "greylist", limit: 3 }, "limit"],
    [{ behavior: "rate-limit" }, "limit"],
    [{ behavior: "rate-limit", limit: 0 }, "limit"],
    [{ behavior: "rate-limit", limit: 2, windowMs: 0 }, "windowMs"],
    [{ behavior: "rate-limit", limit: 2, windowMs: 86_400_001 }, "windowMs"],
    [{ behavior: "rate-limit", limit: 2, per: "planet" }, "per"],
    [{ behavior: "rate-limit", limit: 2, inbox: "a@x.test" }, "inbox"],
    [{ behavior: "connection-limit" }, "limit"],
    [{ behavior: "slow", stage: "rcpt" }, "delayMs"],
    [{ behavior: "slow", delayMs: 5 }, "stage"],
    [{ behavior: "slow", stage: "rcpt", delayMs: 5, code: 451 }, "code"],
    [{ behavior: "blackhole", status: "2.0.0" }, "status"],
    [{ behavior: "unknown-user" }, "pattern"],
    [{ behavior: "unknown-user", pattern: "a b@x" }, "pattern"],
    [{ behavior: "unknown-user", pattern: "x".repeat(321) }, "pattern"],
    [{ stage: "rcpt", code: 451, status: "5.1.1" }, "status"],
    [{ stage: "rcpt", code: 451, status: "4.7" }, "status"],
    [{ stage: "mail", code: 451, pattern: "*@x" }, "pattern"],
  ])("refuses %j naming %s", (body, parameter) => {
    expect(refusal(body).parameter).toBe(parameter);
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
    expect(chaosRuleInput({ stage: "rcpt", code: 451, probability: 0.1 })).toMatchObject({
      behavior: "reply",
      stage: "rcpt",
      code: 451,
      probability: 0.1,
      message: null,
      inbox: null,
      from: null,
      pattern: null,
      times: null,
    });
  });
});
