import { createHash } from "node:crypto";
import { MailpitClient } from "mailpit-api";
import { describe, expect, it } from "vitest";
import type { MailnestConfig } from "../../../config.js";
import { ApiHarness } from "../../../test-support/api-harness.js";
import { ORDER_SHIPPED, PIXEL_PNG } from "../../../test-support/peer-mail.js";
import { useCleanup } from "../../../test-support/test-sandbox.js";

/**
 * Mailpit's API v1 driven by `mailpit-api`, the npm client Mailpit users' tests call, against
 * mail delivered over SMTP by nodemailer.
 */

const cleanup = useCleanup();

const REPORT = Buffer.from("%PDF-1.4 quarterly numbers");

async function start(
  overrides: Partial<MailnestConfig> = {},
): Promise<{ api: ApiHarness; mailpit: MailpitClient }> {
  const api = await ApiHarness.start(cleanup, overrides);
  return { api, mailpit: new MailpitClient(api.url) };
}

/** Three messages, oldest first: a plain one, a rich one (attachments, Bcc, tags), a Unicode one. */
async function deliver(api: ApiHarness): Promise<{ plain: string; rich: string; unicode: string }> {
  const plain = await api.send(ORDER_SHIPPED);
  const rich = await api.send({
    from: '"Ada Lovelace" <ada@example.test>',
    to: '"Ann" <ann@example.test>',
    cc: "carl@example.test",
    replyTo: "support@example.test",
    envelope: {
      from: "bounces@example.test",
      to: ["ann@example.test", "carl@example.test", "hidden@example.test"],
    },
    subject: "Welcome aboard",
    text: "Hello Ann, your code is 482913.",
    html: '<p>Hello <b>Ann</b> <img src="cid:logo@example.test"></p>',
    headers: {
      "X-Tags": "onboarding, Signup",
      "List-Unsubscribe": "<mailto:unsub@example.test>, <https://example.test/unsub>",
    },
    attachments: [
      { filename: "report.pdf", content: REPORT, contentType: "application/pdf" },
      { filename: "logo.png", content: PIXEL_PNG, contentType: "image/png", cid: "logo@example.test" },
    ],
  });
  const unicode = await api.send({
    from: "zoe@example.test",
    to: "ann@example.test",
    subject: "Grüße aus Köln ✓",
    text: "Schöne Grüße",
  });
  return { plain, rich, unicode };
}

describe("Mailpit's API through mailpit-api", () => {
  it("lists newest first with Mailpit's page fields, and pages by start and limit", async () => {
    const { api, mailpit } = await start();
    const { plain, rich, unicode } = await deliver(api);

    const all = await mailpit.listMessages();
    expect(all).toMatchObject({
      total: 3,
      unread: 3,
      count: 3,
      messages_count: 3,
      messages_unread: 3,
      start: 0,
    });
    expect(all.tags).toEqual(["Signup", "onboarding"]);
    expect(all.messages.map((m) => m.ID)).toEqual([unicode, rich, plain]);
    const summary = all.messages[1]!;
    expect(summary).toEqual({
      ID: rich,
      MessageID: expect.stringMatching(/@/),
      Read: false,
      From: { Name: "Ada Lovelace", Address: "ada@example.test" },
      To: [{ Name: "Ann", Address: "ann@example.test" }],
      Cc: [{ Name: "", Address: "carl@example.test" }],
      // Mailpit's SMTP server adds the envelope recipients no header names to Bcc.
      Bcc: [{ Name: "", Address: "hidden@example.test" }],
      ReplyTo: [{ Name: "", Address: "support@example.test" }],
      Subject: "Welcome aboard",
      Created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Username: "",
      Tags: ["Signup", "onboarding"],
      Size: expect.any(Number),
      Attachments: 1,
      Snippet: expect.stringContaining("your code is 482913"),
    });

    const second = await mailpit.listMessages(1, 1);
    expect(second).toMatchObject({ start: 1, count: 1, messages_count: 3, total: 3 });
    expect(second.messages.map((m) => m.ID)).toEqual([rich]);
    expect((await mailpit.listMessages(5, 10)).messages).toEqual([]);
  });

  it("searches with Mailpit's syntax: prefixes, phrases, negation, flags and tags", async () => {
    const { api, mailpit } = await start();
    const { plain, rich, unicode } = await deliver(api);
    const ids = async (query: string) => (await mailpit.searchMessages({ query })).messages.map((m) => m.ID);

    expect(await ids("subject:welcome")).toEqual([rich]);
    expect(await ids('subject:"Grüße aus"')).toEqual([unicode]);
    expect(await ids("to:ann@example.test")).toEqual([unicode, rich]);
    expect(await ids('to:"ann"')).toEqual([unicode, rich]);
    expect(await ids("from:ada")).toEqual([rich]);
    expect(await ids("cc:carl")).toEqual([rich]);
    expect(await ids("bcc:hidden@example.test")).toEqual([rich]);
    expect(await ids("reply-to:support")).toEqual([rich]);
    expect(await ids("addressed:carl")).toEqual([rich]);
    expect(await ids("482913")).toEqual([rich]);
    expect(await ids("report.pdf")).toEqual([rich]);
    expect(await ids('"schöne grüße"')).toEqual([unicode]);
    expect(await ids("-subject:welcome")).toEqual([unicode, plain]);
    expect(await ids("!to:ann")).toEqual([plain]);
    expect(await ids("has:attachment")).toEqual([rich]);
    expect(await ids("has:inline")).toEqual([rich]);
    expect(await ids("tag:onboarding")).toEqual([rich]);
    expect(await ids("is:tagged")).toEqual([rich]);
    expect(await ids("larger:1kb")).toEqual([rich]);
    expect(await ids("smaller:1kb")).toEqual([unicode, plain]);
    expect(await ids("after:2000-01-01 before:2999-12-31")).toEqual([unicode, rich, plain]);
    expect(await ids("before:2000-01-01")).toEqual([]);
    expect(await ids("to:ann subject:welcome")).toEqual([rich]);
    expect(await ids("message-id:nothing-like-this")).toEqual([]);

    const result = await mailpit.searchMessages({ query: "to:ann", start: 1, limit: 1 });
    expect(result).toMatchObject({ messages_count: 2, messages_unread: 2, total: 3, count: 1, start: 1 });
    expect(result.messages.map((m) => m.ID)).toEqual([rich]);

    await mailpit.getMessageSummary(rich); // opening a message marks it read, as Mailpit does
    expect(await ids("is:read")).toEqual([rich]);
    expect(await ids("is:unread")).toEqual([unicode, plain]);
  });

  it("reads one message: latest, Mailpit's fields, checksums, headers as written, raw and parts", async () => {
    const { api, mailpit } = await start();
    const { rich } = await deliver(api);
    await api.send({ to: "later@example.test", subject: "Last one" });

    const latest = await mailpit.getMessageSummary();
    expect(latest.Subject).toBe("Last one");

    const message = await mailpit.getMessageSummary(rich);
    expect(message).toMatchObject({
      ID: rich,
      From: { Name: "Ada Lovelace", Address: "ada@example.test" },
      ReturnPath: "bounces@example.test",
      Subject: "Welcome aboard",
      Text: expect.stringContaining("your code is 482913"),
      HTML: expect.stringContaining("<b>Ann</b>"),
      Tags: ["Signup", "onboarding"],
      ListUnsubscribe: {
        Header: "<mailto:unsub@example.test>, <https://example.test/unsub>",
        Links: ["mailto:unsub@example.test", "https://example.test/unsub"],
        Errors: "",
        HeaderPost: "",
      },
    });
    expect(message.Date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(message.Attachments).toEqual([
      {
        PartID: expect.stringMatching(/^a\d+$/),
        FileName: "report.pdf",
        ContentType: "application/pdf",
        ContentID: "",
        Size: REPORT.length,
        Checksums: {
          MD5: createHash("md5").update(REPORT).digest("hex"),
          SHA1: createHash("sha1").update(REPORT).digest("hex"),
          SHA256: createHash("sha256").update(REPORT).digest("hex"),
        },
      },
    ]);
    expect(message.Inline).toMatchObject([
      { FileName: "logo.png", ContentID: "logo@example.test", ContentType: "image/png" },
    ]);

    const attachment = await mailpit.getMessageAttachment(rich, message.Attachments[0]!.PartID);
    expect(attachment.type).toBe("application/pdf");
    expect(Buffer.from(await attachment.arrayBuffer())).toEqual(REPORT);

    const headers = await mailpit.getMessageHeaders(rich);
    expect(Object.keys(headers)).toEqual([...Object.keys(headers)].sort());
    expect(headers["Message-Id"]).toEqual([`<${message.MessageID}>`]);
    expect(headers["Mime-Version"]).toEqual(["1.0"]);
    expect(headers["X-Tags"]).toEqual(["onboarding, Signup"]);
    expect(headers["Return-Path"]).toEqual(["<bounces@example.test>"]);
    expect(headers.Bcc).toEqual(["hidden@example.test"]);

    const raw = await (await api.fetch(`/api/messages/${rich}/raw`)).text();
    expect(await mailpit.getMessageSource(rich)).toBe(raw);
    expect(await mailpit.getMessageSource()).toContain("Subject: Last one");
  });

  it("marks read and unread by ids, by search, and all at once", async () => {
    const { api, mailpit } = await start();
    const { plain, rich, unicode } = await deliver(api);
    const readIds = async () =>
      (await mailpit.listMessages()).messages.filter((m) => m.Read).map((m) => m.ID);

    expect(await mailpit.setReadStatus({ IDs: [plain, rich], Read: true })).toBe("ok");
    expect(await readIds()).toEqual([rich, plain]);
    expect(await mailpit.setReadStatus({ Search: "subject:welcome", Read: false })).toBe("ok");
    expect(await readIds()).toEqual([plain]);
    expect(await mailpit.setReadStatus({ Read: true })).toBe("ok");
    expect(await readIds()).toEqual([unicode, rich, plain]);
    expect((await mailpit.getInfo()).Unread).toBe(0);
    await expect(mailpit.setReadStatus({ IDs: [plain], Search: "x", Read: true })).rejects.toThrow(
      /400 Bad Request/,
    );
  });

  it("tags: set, list, rename, delete, and search by tag", async () => {
    const { api, mailpit } = await start();
    const { plain, rich } = await deliver(api);

    expect(await mailpit.setTags({ IDs: [plain], Tags: ["Invoices", "bad/chars!"] })).toBe("ok");
    expect(await mailpit.getTags()).toEqual(["Invoices", "Signup", "bad chars", "onboarding"]);
    expect((await mailpit.searchMessages({ query: "tag:invoices" })).messages.map((m) => m.ID)).toEqual([
      plain,
    ]);

    expect(await mailpit.renameTag("onboarding", "Welcome")).toBe("ok");
    expect((await mailpit.getMessageSummary(rich)).Tags).toEqual(["Signup", "Welcome"]);
    expect(await mailpit.deleteTag("Signup")).toBe("ok");
    expect(await mailpit.getTags()).toEqual(["Invoices", "Welcome", "bad chars"]);
    expect((await mailpit.getInfo()).Tags).toEqual({ Invoices: 1, Welcome: 1, "bad chars": 1 });

    expect(await mailpit.setTags({ IDs: [plain] })).toBe("ok");
    expect((await mailpit.listMessages()).tags).toEqual(["Welcome"]);
  });

  it("renders the HTML and text views, with inline images pointing at the part route", async () => {
    const { api, mailpit } = await start();
    const { plain, rich } = await deliver(api);
    const message = await mailpit.getMessageSummary(rich);
    const logo = message.Inline[0]!.PartID;

    const html = await mailpit.renderMessageHTML(rich);
    expect(html).toContain(`<img src="/api/v1/message/${rich}/part/${logo}">`);
    expect(await mailpit.renderMessageText(rich)).toContain("your code is 482913");
    expect(await mailpit.renderMessageText()).toContain("Schöne Grüße");
    await expect(mailpit.renderMessageHTML(plain)).rejects.toThrow(
      /404 Not Found.*does not contain a HTML part/,
    );

    const viaPrefix = await new MailpitClient(`${api.url}/mailpit`).renderMessageHTML(rich);
    expect(viaPrefix).toContain(`<img src="/mailpit/api/v1/message/${rich}/part/${logo}">`);
    const image = await fetch(`${api.url}/api/v1/message/${rich}/part/${logo}`);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PIXEL_PNG);
  });

  it("deletes by id, by search and everything; info counts what is left", async () => {
    const { api, mailpit } = await start();
    const { plain, rich, unicode } = await deliver(api);

    // IDs that are not a list of strings are a 400, as Mailpit's JSON decoding makes them: never
    // "no IDs", which would delete (or mark) every message.
    for (const [method, body] of [
      ["DELETE", { IDs: plain }],
      ["DELETE", { IDs: [1] }],
      ["DELETE", []],
      ["PUT", { IDs: [["x"]], Read: true }],
      ["PUT", { IDs: [plain], Read: "yes" }],
    ] as const) {
      const refused = await api.json<{ error: { code: string } }>("/api/v1/messages", { method, body });
      expect({ method, body, status: refused.status }).toEqual({ method, body, status: 400 });
    }
    expect((await mailpit.listMessages()).messages.map((m) => m.ID)).toEqual([unicode, rich, plain]);
    expect((await mailpit.getInfo()).Unread).toBe(3);

    expect(await mailpit.deleteMessages({ IDs: [plain, "01aaaaaaaaaaaaaaaaaaaaaaaa"] })).toBe("ok");
    expect((await mailpit.listMessages()).messages.map((m) => m.ID)).toEqual([unicode, rich]);
    expect(await mailpit.deleteMessagesBySearch({ query: "subject:welcome" })).toBe("ok");
    expect((await mailpit.listMessages()).messages.map((m) => m.ID)).toEqual([unicode]);
    expect(await mailpit.getInfo()).toMatchObject({ Messages: 1, Unread: 1, Version: expect.any(String) });
    expect(await mailpit.deleteMessages()).toBe("ok");
    expect(await mailpit.listMessages()).toMatchObject({ total: 0, messages: [] });
    await expect(mailpit.getMessageSummary()).rejects.toThrow(/404 Not Found/);
    await expect(mailpit.getMessageSummary(plain)).rejects.toThrow(/404 Not Found/);
  });

  it("waitForMessage finds a message sent after the wait began", async () => {
    const { api, mailpit } = await start();
    const waiting = mailpit.waitForMessage(
      { query: "subject:Verify to:new@example.test" },
      { timeout: 5000, interval: 50 },
    );
    await api.send({ to: "new@example.test", subject: "Verify your address", text: "code 111" });
    expect(await waiting).toMatchObject({
      Subject: "Verify your address",
      Text: expect.stringContaining("code 111"),
    });
  });

  it("with --api-token, takes the token as a Basic password and refuses without it", async () => {
    const { api } = await start({ apiToken: "s3cret-token" });
    await api.send({ to: "ann@example.test", subject: "Guarded" });

    const withAuth = new MailpitClient(api.url, { auth: { username: "anyone", password: "s3cret-token" } });
    expect((await withAuth.listMessages()).total).toBe(1);
    const wrong = new MailpitClient(api.url, { auth: { username: "anyone", password: "nope" } });
    await expect(wrong.getInfo()).rejects.toThrow("401 Unauthorized");
    await expect(new MailpitClient(api.url).getInfo()).rejects.toThrow("401 Unauthorized");
    // Basic credentials open the peers' routes only, never Mailnest's own.
    const basic = `Basic ${Buffer.from("anyone:s3cret-token").toString("base64")}`;
    expect((await fetch(`${api.url}/api/messages`, { headers: { authorization: basic } })).status).toBe(401);
  });
});

describe("cypress-mailpit's requests, replayed", () => {
  /**
   * cypress-mailpit 2.0.0 (dist/src/MailpitCommands.js): `${MAILPIT_URL}/api${path}` for the API and
   * `${MAILPIT_URL}/${""}${path}` for the views, so `//view/…` with two slashes (Mailpit's Go router
   * cleans the path); `auth: { user, pass }` from MAILPIT_USERNAME / MAILPIT_PASSWORD (Basic).
   */
  for (const prefix of ["", "/mailpit"]) {
    it(`every command's request works with MAILPIT_URL at ${prefix || "the root"}`, async () => {
      const { api } = await start({ apiToken: "cy-token" });
      const { plain, rich } = await deliver(api);
      const baseUrl = `${api.url}${prefix}`;
      const mailpitUrl = (path: string, isApi = true) => `${baseUrl}/${isApi ? "api" : ""}${path}`;
      const auth = `Basic ${Buffer.from("cy:cy-token").toString("base64")}`;
      const request = async (method: string, url: string, body?: unknown) => {
        const headers: Record<string, string> = { authorization: auth };
        if (body !== undefined) headers["content-type"] = "application/json";
        const response = await fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(response.status, `${method} ${url}`).toBe(200);
        const text = await response.text();
        return response.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text;
      };

      // mailpitGetAllMails(start = 0, limit = 50)
      expect((await request("GET", mailpitUrl("/v1/messages?start=0&limit=50"))).messages_count).toBe(3);
      // mailpitGetMail() → latest
      expect((await request("GET", mailpitUrl("/v1/message/latest"))).Subject).toBe("Grüße aus Köln ✓");
      // mailpitSearchEmails / mailpitGetEmailsBySubject / mailpitGetEmailsByTo: `qs` encodes the query
      const bySubject = await request(
        "GET",
        `${mailpitUrl("/v1/search")}?query=subject%3AWelcome%20aboard&start=0&limit=50`,
      );
      expect(bySubject.messages.map((m: { ID: string }) => m.ID)).toEqual([rich]);
      const byTo = await request(
        "GET",
        `${mailpitUrl("/v1/search")}?query=to%3Abob%40example.test&start=0&limit=50`,
      );
      expect(byTo.messages_count).toBe(1);
      // mailpitGetMailHTMlBody / mailpitGetMailTextBody
      expect(await request("GET", mailpitUrl(`/view/${rich}.html`, false))).toContain("<b>Ann</b>");
      expect(await request("GET", mailpitUrl(`/view/${plain}.txt`, false))).toContain("Tracking: 1Z999");
      // mailpitSetStatusAsRead([message]) / mailpitSetAllEmailStatusAsUnRead()
      expect(await request("PUT", mailpitUrl("/v1/messages"), { IDs: [plain], Read: true })).toBe("ok");
      expect((await request("GET", mailpitUrl("/v1/search?query=is%3Aread"))).messages_count).toBe(3); // opened + marked
      expect(await request("PUT", mailpitUrl("/v1/messages"), { IDs: [], Read: false })).toBe("ok");
      expect((await request("GET", mailpitUrl("/v1/messages"))).unread).toBe(3);
      // mailpitDeleteEmailsBySearch(query) / mailpitDeleteAllEmails()
      expect(await request("DELETE", `${mailpitUrl("/v1/search")}?query=subject%3AOrder`)).toBe("ok");
      expect((await request("GET", mailpitUrl("/v1/messages"))).total).toBe(2);
      expect(await request("DELETE", mailpitUrl("/v1/messages"))).toBe("ok");
      expect((await request("GET", mailpitUrl("/v1/messages"))).total).toBe(0);
    });
  }
});
