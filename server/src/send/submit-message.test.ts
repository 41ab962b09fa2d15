import { spawnSync } from "node:child_process";
import { apiPaths, type SendRequest, type WaitResponse } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox.js";
import { readAll, sha256, startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";
import { submitMessage } from "./submit-message.js";

const cleanup = useCleanup();

const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

function submit(sandbox: Sandbox, body: unknown) {
  return submitMessage(sandbox.store, body, {
    maxSize: sandbox.config.maxMessageSize,
    maxRecipients: sandbox.config.maxRecipients,
    domain: sandbox.config.domain,
    remoteAddress: "127.0.0.1",
  });
}

const full: SendRequest = {
  from: "Zoë Sender <zoe@example.test>",
  to: ["ada@example.test", { name: "Grace Hopper", address: "grace@example.test" }],
  cc: ["carol@example.test"],
  bcc: ["hidden@example.test"],
  replyTo: ["replies@example.test"],
  subject: "Grüße: your code is 493817",
  text: "Your code is 493817.\nSee you.",
  html: '<p>Your code is <b>493817</b>.</p><img src="cid:logo@test">',
  attachments: [
    {
      filename: "report.pdf",
      contentType: "application/pdf",
      content: Buffer.from("%PDF-1.4 test").toString("base64"),
    },
    { filename: "logo.png", content: PIXEL.toString("base64"), contentId: "logo@test" },
  ],
  headers: { "X-Test-Run": "42", "Message-ID": "<fixed-id@example.test>" },
};

describe("submitMessage (POST /api/send)", () => {
  it("stores the built message like SMTP mail: inboxes per recipient, envelope marked api, Bcc only in the envelope", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const stored: string[] = [];
    sandbox.bus.on("message.stored", ({ message }) => stored.push(message.id));
    const message = await submit(sandbox, full);

    expect(stored).toEqual([message.id]);
    expect(message.envelope).toMatchObject({
      mailFrom: "zoe@example.test",
      rcptTo: ["ada@example.test", "grace@example.test", "carol@example.test", "hidden@example.test"],
      remoteAddress: "127.0.0.1",
      heloName: "",
      authUser: null,
      tls: null,
      submittedVia: "api",
    });
    expect([...message.inboxes].sort()).toEqual([
      "ada@example.test",
      "carol@example.test",
      "grace@example.test",
      "hidden@example.test",
    ]);
    expect(message).toMatchObject({
      subject: "Grüße: your code is 493817",
      messageId: "<fixed-id@example.test>",
      from: [{ name: "Zoë Sender", address: "zoe@example.test" }],
      to: [
        { name: "", address: "ada@example.test" },
        { name: "Grace Hopper", address: "grace@example.test" },
      ],
      cc: [{ name: "", address: "carol@example.test" }],
      bcc: [],
      replyTo: [{ name: "", address: "replies@example.test" }],
      text: "Your code is 493817.\nSee you.",
      parseError: null,
    });
    expect(message.html).toContain("<b>493817</b>");
    expect(message.headers).toContainEqual({ name: "X-Test-Run", value: "42" });
    const attachments = message.attachments
      .map(({ filename, contentType, disposition, contentId }) => ({
        filename,
        contentType,
        disposition,
        contentId,
      }))
      .sort((a, b) => String(a.filename).localeCompare(String(b.filename)));
    expect(attachments).toEqual([
      { filename: "logo.png", contentType: "image/png", disposition: "inline", contentId: "logo@test" },
      { filename: "report.pdf", contentType: "application/pdf", disposition: "attachment", contentId: null },
    ]);
    const raw = (await readAll((await sandbox.store.readRaw(message.id))!)).toString("latin1");
    expect(raw).not.toMatch(/^bcc:/im);
    expect(raw).not.toMatch(/hidden@example\.test/);
    expect(raw.replace(/\r\n/g, "")).not.toMatch(/\n/); // CRLF line ends only, as SMTP DATA
  });

  it("Python's email package parses the built message", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const message = await submit(sandbox, full);
    const raw = await readAll((await sandbox.store.readRaw(message.id))!);
    const script = [
      "import sys, json, hashlib, email",
      "from email import policy",
      "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)",
      "body = m.get_body(preferencelist=('plain',))",
      "html = m.get_body(preferencelist=('html',))",
      "atts = [{'filename': p.get_filename(), 'type': p.get_content_type(), 'sha256': hashlib.sha256(p.get_payload(decode=True)).hexdigest()} for p in m.iter_attachments()]",
      "print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']), 'defects': [str(d) for d in m.defects], 'text': body.get_content().replace('\\r\\n', '\\n'), 'html': 'cid:logo@test' in html.get_content(), 'attachments': atts, 'id': m['message-id']}))",
    ].join("\n");
    const python = spawnSync("python3", ["-c", script], { input: raw, encoding: "utf8" });
    if (python.error) throw new Error(`this test needs python3 on the PATH: ${python.error.message}`);
    expect(python.stderr).toBe("");
    const parsed = JSON.parse(python.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      subject: "Grüße: your code is 493817",
      from: "Zoë Sender <zoe@example.test>",
      to: "ada@example.test, Grace Hopper <grace@example.test>",
      defects: [],
      text: "Your code is 493817.\nSee you.",
      html: true,
      id: "<fixed-id@example.test>",
    });
    expect(parsed.attachments).toContainEqual({
      filename: "report.pdf",
      type: "application/pdf",
      sha256: sha256("%PDF-1.4 test"),
    });
  });

  it("can be waited for like SMTP mail", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const waiting = fetch(
      `${sandbox.url}${apiPaths.inboxWait("waiter@example.test")}?timeout=10000&subject=ready`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const message = await submit(sandbox, {
      from: "app@example.test",
      to: ["waiter@example.test"],
      subject: "ready",
    });
    const response = await waiting;
    expect(response.status).toBe(200);
    const body = (await response.json()) as WaitResponse;
    expect(body.messages.map((entry) => entry.id)).toEqual([message.id]);
  });

  it.each([
    [{ to: ["a@example.test"] }, "from", /Expected from/],
    [{ from: "a@example.test" }, "to", /at least one recipient/],
    [{ from: "not an address", to: ["a@example.test"] }, "from", /Expected one address/],
    [{ from: "a@example.test", to: "b@example.test" }, "to", /list of addresses/],
    [{ from: "a@example.test", to: ["b@example.test"], body: "hi" }, "body", /Unknown field "body"/],
    [
      { from: "a@example.test", to: ["b@example.test"], subject: "hi\r\nBcc: x@evil.test" },
      "subject",
      /line breaks/,
    ],
    [
      { from: "a@example.test", to: ["b@example.test"], headers: { "Content-Type": "text/html" } },
      "headers.Content-Type",
      /MIME structure/,
    ],
    [
      { from: "a@example.test", to: ["b@example.test"], headers: { Bcc: "x@evil.test" } },
      "headers.Bcc",
      /own field/,
    ],
    [{ from: "a@example.test", to: ["not-an-address"] }, "to[0]", /in to\[0\], got "not-an-address"$/],
    [
      { from: "a@example.test", to: ["b@example.test"], headers: { "X-A": "1\nX-B: 2" } },
      "headers.X-A",
      /line breaks/,
    ],
    [
      { from: "a@example.test", to: ["b@example.test"], attachments: [{ filename: "a", content: "@@" }] },
      "attachments[0].content",
      /base64/,
    ],
    [
      {
        from: "a@example.test",
        to: ["b@example.test"],
        attachments: [{ filename: "a", content: "", path: "/etc/passwd" }],
      },
      "attachments[0].path",
      /Unknown field "path"/,
    ],
  ])("refuses %j naming %s", async (body, parameter, message) => {
    const sandbox = await startTestSandbox(cleanup, { dataDir: null });
    await expect(submit(sandbox, body)).rejects.toMatchObject({
      name: "InvalidSendRequestError",
      parameter,
      message,
    });
    expect(sandbox.store.messageCount).toBe(0);
  });

  it("holds to the SMTP limits: recipients and message size", async () => {
    const sandbox = await startTestSandbox(cleanup, {
      dataDir: null,
      maxRecipients: 2,
      maxMessageSize: 2000,
    });
    await expect(
      submit(sandbox, {
        from: "a@example.test",
        to: ["b@example.test", "c@example.test"],
        bcc: ["d@example.test"],
      }),
    ).rejects.toMatchObject({
      parameter: "to",
      message: "Expected at most 2 recipients (as over SMTP), got 3",
    });
    await expect(
      submit(sandbox, { from: "a@example.test", to: ["b@example.test"], text: "x".repeat(5000) }),
    ).rejects.toMatchObject({ name: "MessageTooLargeError" });
    expect(sandbox.store.messageCount).toBe(0);
  });
});
