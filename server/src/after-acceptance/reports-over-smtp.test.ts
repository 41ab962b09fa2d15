import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { HAS_PYTHON, parseWithPython } from "../test-support/python-email.js";
import { headerOf, messagesIn, rawOf } from "../test-support/report-kit.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";
import type { ReportLogEntry, ReportRule } from "./report-rule.js";

/**
 * Reports after acceptance over real SMTP (issue #14): an app sends with nodemailer or Python's
 * smtplib, Mailnest answers 250 and then makes the DSN, complaint or auto-reply, which lands in the
 * sender's inbox; Python's `email` package checks the formats independently.
 */

const cleanup = useCleanup();
const run = promisify(execFile);
const python = (skipped: boolean) => (skipped ? " (SKIPPED: python3 is not installed)" : "");

async function reportLog(url: string, inbox?: string): Promise<ReportLogEntry[]> {
  const query = inbox === undefined ? "" : `?inbox=${encodeURIComponent(inbox)}`;
  return (await fetchJson<{ entries: ReportLogEntry[] }>(url, "GET", `/api/reports/log${query}`)).body
    .entries;
}

describe("bounces (DSN, RFC 3464)", () => {
  it.skipIf(!HAS_PYTHON)(
    `nodemailer to bounce@…: a multipart/report DSN reaches the sender's inbox, from MAILER-DAEMON with the null sender, naming the original Message-ID${python(!HAS_PYTHON)}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      const sent = await transport.sendMail({
        from: "app@example.test",
        to: "bounce@customer.test",
        subject: "Welcome aboard",
        text: "hello",
      });
      expect(sent.response).toMatch(/^250 /);

      const [dsn] = await messagesIn(sandbox, "app@example.test", 1);
      expect(dsn?.envelope).toMatchObject({ mailFrom: "", rcptTo: ["app@example.test"] });
      expect(dsn?.from).toEqual([{ name: "Mail Delivery System", address: "MAILER-DAEMON@mailnest.test" }]);
      const view = await parseWithPython(await rawOf(sandbox, dsn?.id ?? ""));
      expect(view.defects).toEqual([]);
      expect(view.contentType).toBe("multipart/report");
      expect(view.params["report-type"]).toBe("delivery-status");
      expect(view.parts).toEqual(["text/plain", "message/delivery-status", "text/rfc822-headers"]);
      expect(view.headers["Auto-Submitted"]).toBe("auto-replied");
      expect(view.headers.Subject).toBe("Undelivered Mail Returned to Sender");
      expect(view.headers["In-Reply-To"]).toBe(sent.messageId);
      expect(view.headers["X-Mailnest-Report"]).toMatch(/^bounce; simulator=bounce; original=[0-9a-z]{26}$/);
      expect(view.returnedMessageId).toBe(sent.messageId);
      const [perMessage, perRecipient, ...more] = view.deliveryStatus ?? [];
      expect(more).toEqual([]);
      expect(perMessage).toMatchObject({ "Reporting-MTA": "dns; mailnest.test" });
      expect(perMessage?.["Arrival-Date"]).toMatch(/\+0000$/);
      expect(perRecipient).toMatchObject({
        "Final-Recipient": "rfc822; bounce@customer.test",
        Action: "failed",
        Status: "5.1.1",
        "Diagnostic-Code": "smtp; 550 5.1.1 <bounce@customer.test>: User unknown",
      });
      expect(await reportLog(sandbox.url, "bounce@customer.test")).toEqual([
        expect.objectContaining({
          simulator: "bounce",
          kind: "bounce",
          action: "failed",
          status: "5.1.1",
          outcome: "sent",
          to: "app@example.test",
          report: { id: dsn?.id, messageId: expect.stringMatching(/^<.+@mailnest\.test>$/) },
          original: expect.objectContaining({
            messageId: sent.messageId,
            recipients: ["bounce@customer.test"],
          }),
        }),
      ]);
    },
  );

  it.skipIf(!HAS_PYTHON)(
    `Python's smtplib with DSN parameters to an inbox with a bounce rule: the DSN carries ENVID, ORCPT, the rule's status and diagnostic, and the whole original (RET=FULL)${python(!HAS_PYTHON)}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      const rule = await fetchJson<ReportRule>(
        sandbox.url,
        "POST",
        "/api/inboxes/full%40customer.test/reports",
        {
          kind: "bounce",
          status: "5.2.2",
          diagnostic: "552 5.2.2 Mailbox full",
        },
      );
      expect(rule.status).toBe(201);
      const script = `
import smtplib, sys
from email.message import EmailMessage
msg = EmailMessage()
msg["From"] = "shop@example.test"
msg["To"] = "full@customer.test, fine@customer.test"
msg["Subject"] = "Your order"
msg["Message-ID"] = "<order-42@example.test>"
msg.set_content("Thanks")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as smtp:
    smtp.sendmail("shop@example.test", ["full@customer.test", "fine@customer.test"], msg.as_bytes(),
                  mail_options=["RET=FULL", "ENVID=order-42"],
                  rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;Full@Customer.test"])
`;
      await run("python3", ["-c", script, String(sandbox.smtpPort)], { timeout: 20_000 });

      const [dsn] = await messagesIn(sandbox, "shop@example.test", 1);
      const view = await parseWithPython(await rawOf(sandbox, dsn?.id ?? ""));
      expect(view.parts).toEqual(["text/plain", "message/delivery-status", "message/rfc822"]);
      expect(view.returnedMessageId).toBe("<order-42@example.test>");
      const [perMessage, ...perRecipient] = view.deliveryStatus ?? [];
      expect(perMessage).toMatchObject({ "Original-Envelope-Id": "order-42" });
      // Only the recipient the rule names bounced.
      expect(perRecipient).toEqual([
        expect.objectContaining({
          "Final-Recipient": "rfc822; full@customer.test",
          "Original-Recipient": "rfc822; Full@Customer.test",
          Action: "failed",
          Status: "5.2.2",
          "Diagnostic-Code": "smtp; 552 5.2.2 Mailbox full",
        }),
      ]);
      expect(
        (await fetchJson<{ rules: ReportRule[] }>(sandbox.url, "GET", "/api/reports")).body.rules,
      ).toEqual([]);
    },
  );

  it("a VERP sender (bounces+123@app.test) gets the DSN at exactly that address", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({
      envelope: { from: "bounces+123@app.test", to: ["bounce+signup@customer.test"] },
      from: "App <hello@app.test>",
      to: "bounce+signup@customer.test",
      subject: "Confirm",
      text: "x",
    });

    const [dsn] = await messagesIn(sandbox, "bounces+123@app.test", 1);
    expect(dsn?.envelope.rcptTo).toEqual(["bounces+123@app.test"]);
    expect(dsn?.to).toEqual([{ name: "", address: "bounces+123@app.test" }]);
    expect((await sandbox.store.list({ limit: 10, inbox: "hello@app.test" })).messages).toEqual([]);
  });

  it.skipIf(!HAS_PYTHON)(
    `a delay rule with failAfterMs: the delayed DSN and then the failed one arrive, in that order${python(!HAS_PYTHON)}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      await fetchJson(sandbox.url, "POST", "/api/inboxes/slow%40customer.test/reports", {
        kind: "delay",
        delayMs: 300,
        failAfterMs: 100,
      });
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      await transport.sendMail({
        from: "app@example.test",
        to: "slow@customer.test",
        subject: "Invoice",
        text: "x",
      });

      // Both are scheduled right after the 250 (bounded wait for the decision, well within the 300 ms).
      let waiting: string[] = [];
      for (let tries = 0; waiting.length < 2 && tries < 100; tries++) {
        const pending = await fetchJson<{ reports: Array<{ action: string }> }>(
          sandbox.url,
          "GET",
          "/api/reports/pending",
        );
        waiting = pending.body.reports.map((report) => report.action);
        if (waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(waiting).toEqual(["delayed", "failed"]);
      const [first, second] = await messagesIn(sandbox, "app@example.test", 2);
      expect([first?.subject, second?.subject]).toEqual([
        "Delayed Mail (still being retried)",
        "Undelivered Mail Returned to Sender",
      ]);
      expect(first?.sequence ?? 0).toBeLessThan(second?.sequence ?? 0);
      const delayed = await parseWithPython(await rawOf(sandbox, first?.id ?? ""));
      const failed = await parseWithPython(await rawOf(sandbox, second?.id ?? ""));
      expect(delayed.deliveryStatus?.[1]).toMatchObject({ Action: "delayed", Status: "4.4.7" });
      expect(delayed.deliveryStatus?.[1]?.["Will-Retry-Until"]).toMatch(/\+0000$/);
      expect(failed.deliveryStatus?.[1]).toMatchObject({ Action: "failed", Status: "5.4.7" });
      expect(
        (await reportLog(sandbox.url)).map((entry) => [entry.kind, entry.action, entry.outcome]),
      ).toEqual([
        ["delay", "delayed", "sent"],
        ["delay", "failed", "sent"],
      ]);
    },
  );

  it("no DSN for the null sender or when NOTIFY declines; each is logged as skipped and the rule stays", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/reports", { kind: "bounce", times: 1 });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    const nullSender = await client.sendMessage({
      from: "",
      to: ["someone@customer.test"],
      raw: rfc822({ subject: "a bounce of our own", body: "x" }),
    });
    expect(nullSender.code).toBe(250);
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<quiet@customer.test> NOTIFY=NEVER")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write(`${rfc822({ subject: "no reports please", body: "x" })}.\r\n`);
    expect((await client.readReply()).code).toBe(250);

    const deadline = Date.now() + 5_000;
    let log: ReportLogEntry[] = [];
    while (log.length < 2 && Date.now() < deadline) {
      log = await reportLog(sandbox.url);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(log.map((entry) => [entry.outcome, entry.note])).toEqual([
      ["skipped", expect.stringMatching(/null sender <>/)],
      ["skipped", "the sender asked for no delivery reports (NOTIFY=NEVER)"],
    ]);
    const rules = (await fetchJson<{ rules: ReportRule[] }>(sandbox.url, "GET", "/api/reports")).body.rules;
    expect(rules).toEqual([expect.objectContaining({ remaining: 1, triggered: 0 })]);
    expect(sandbox.store.messageCount).toBe(2);
  });

  it("a report stays within --max-message-size: a large original asked for in full comes back as its header", async () => {
    const sandbox = await startTestSandbox(cleanup, { maxMessageSize: 100_000 });
    await fetchJson(sandbox.url, "POST", "/api/reports", { kind: "bounce", returnContent: "full" });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({
      from: "app@example.test",
      to: "x@customer.test",
      subject: "big",
      text: "y".repeat(80_000),
    });

    const [dsn] = await messagesIn(sandbox, "app@example.test", 1);
    expect(dsn?.size ?? Number.POSITIVE_INFINITY).toBeLessThan(100_000);
    expect(dsn?.text).toMatch(/Only the message header is attached: the message is larger than 34464 bytes/);
    expect(headerOf(dsn as NonNullable<typeof dsn>, "content-type")).toMatch(/multipart\/report/);
  });
});

describe("complaints (ARF, RFC 5965) and auto-replies (RFC 3834)", () => {
  it.skipIf(!HAS_PYTHON)(
    `complaint@…: an abuse report with the original attached goes to the sender${python(!HAS_PYTHON)}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      const sent = await transport.sendMail({
        from: "news@example.test",
        to: "complaint@customer.test",
        subject: "Big sale",
        text: "buy",
      });

      const [report] = await messagesIn(sandbox, "news@example.test", 1);
      expect(report?.envelope.mailFrom).toBe("");
      const view = await parseWithPython(await rawOf(sandbox, report?.id ?? ""));
      expect(view.defects).toEqual([]);
      expect(view.contentType).toBe("multipart/report");
      expect(view.params["report-type"]).toBe("feedback-report");
      expect(view.parts).toEqual(["text/plain", "message/feedback-report", "message/rfc822"]);
      expect(view.headers.Subject).toBe("FW: Big sale");
      expect(view.feedbackReport).toMatchObject({
        "Feedback-Type": "abuse",
        Version: "1",
        "Original-Mail-From": "<news@example.test>",
        "Original-Rcpt-To": "<complaint@customer.test>",
        "Reported-Domain": "example.test",
        "Source-IP": "127.0.0.1",
      });
      expect(view.feedbackReport?.["User-Agent"]).toMatch(/^Mailnest\//);
      expect(view.returnedMessageId).toBe(sent.messageId);
    },
  );

  it("a complaint rule with reportTo sends the report to that feedback address instead", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/reports", {
      kind: "complaint",
      to: "reader@customer.test",
      reportTo: "fbl@example.test",
      feedbackType: "fraud",
    });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({
      from: "news@example.test",
      to: "reader@customer.test",
      subject: "x",
      text: "x",
    });
    const [report] = await messagesIn(sandbox, "fbl@example.test", 1);
    expect((await rawOf(sandbox, report?.id ?? "")).toString()).toMatch(/Feedback-Type: fraud/);
    expect((await sandbox.store.list({ limit: 10, inbox: "news@example.test" })).messages).toEqual([]);
  });

  it.skipIf(!HAS_PYTHON)(
    `ooto@…: an auto-reply from the recipient, Auto-Submitted, In-Reply-To and References set, sent with <>${python(!HAS_PYTHON)}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      const sent = await transport.sendMail({
        from: "Support <support@example.test>",
        to: "ooto@customer.test",
        subject: "Ticket #7",
        text: "x",
        references: "<earlier@example.test>",
      });

      const [reply] = await messagesIn(sandbox, "support@example.test", 1);
      expect(reply?.envelope.mailFrom).toBe("");
      const view = await parseWithPython(await rawOf(sandbox, reply?.id ?? ""));
      expect(view.contentType).toBe("text/plain");
      expect(view.headers).toMatchObject({
        From: "ooto@customer.test",
        To: "support@example.test",
        Subject: "Auto: Ticket #7",
        "Auto-Submitted": "auto-replied",
        "In-Reply-To": sent.messageId,
        References: `<earlier@example.test> ${sent.messageId}`,
      });
      expect(view.text).toMatch(/out of the office/);
    },
  );

  it("no auto-reply to the null sender, to an auto-reply, or to list mail: each logged as skipped", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    const send = (from: string, headers: string[]) =>
      client.sendMessage({
        from,
        to: ["ooto@customer.test"],
        raw: rfc822({ subject: "s", body: "x", headers }),
      });
    expect((await send("", [])).code).toBe(250);
    expect((await send("robot@example.test", ["Auto-Submitted: auto-replied"])).code).toBe(250);
    expect((await send("list@example.test", ["Precedence: bulk"])).code).toBe(250);
    expect((await send("human@example.test", ["Auto-Submitted: no"])).code).toBe(250);

    await messagesIn(sandbox, "human@example.test", 1);
    const log = await reportLog(sandbox.url);
    expect(log.map((entry) => [entry.outcome, entry.original.mailFrom])).toEqual([
      ["skipped", ""],
      ["skipped", "robot@example.test"],
      ["skipped", "list@example.test"],
      ["sent", "human@example.test"],
    ]);
    expect(log[1]?.note).toMatch(/Auto-Submitted: auto-replied/);
    for (const sender of ["robot@example.test", "list@example.test"]) {
      expect((await sandbox.store.list({ limit: 10, inbox: sender })).messages).toEqual([]);
    }
  });
});

describe("the simulator addresses", () => {
  it("answer to a prefix when one is set, and not at all when switched off", async () => {
    const prefixed = await startTestSandbox(cleanup, { simulator: { enabled: true, prefix: "sim-" } });
    const off = await startTestSandbox(cleanup, { simulator: { enabled: false, prefix: "" } });
    for (const sandbox of [prefixed, off]) {
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      await transport.sendMail({
        from: "app@example.test",
        to: ["bounce@x.test", "sim-delayed@x.test"],
        text: "x",
      });
    }
    const [dsn] = await messagesIn(prefixed, "app@example.test", 1);
    expect(dsn?.subject).toBe("Delayed Mail (still being retried)");
    const info = await fetchJson<{ enabled: boolean; mailboxes: Array<{ localPart: string }> }>(
      prefixed.url,
      "GET",
      "/api/reports/simulator",
    );
    expect(info.body.mailboxes.map((mailbox) => mailbox.localPart)).toEqual([
      "sim-bounce",
      "sim-suppressed",
      "sim-delayed",
      "sim-complaint",
      "sim-ooto",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(off.store.messageCount).toBe(1);
    expect(prefixed.store.messageCount).toBe(2);
  });
});

describe("report rules over the API", () => {
  it.each([
    [{ kind: "bounce", status: "4.1.1" }, "status"],
    [{ kind: "delay", status: "5.1.1" }, "status"],
    [{ kind: "bounce", delayMs: 86_400_001 }, "delayMs"],
    [{ kind: "bounce", feedbackType: "abuse" }, "feedbackType"],
    [{ kind: "auto-reply", subject: "two\nlines" }, "subject"],
    [{ kind: "bounce", colour: "red" }, "colour"],
    [{ kind: "teapot" }, "kind"],
    [{ kind: "delay", failStatus: "5.4.7" }, "failStatus"],
  ])("refuses %j with a 400 naming %s", async (body, parameter) => {
    const sandbox = await startTestSandbox(cleanup);
    const response = await fetchJson<{ error: { code: string; message: string } }>(
      sandbox.url,
      "POST",
      "/api/reports",
      body,
    );
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(`"${parameter}"`);
  });
});
