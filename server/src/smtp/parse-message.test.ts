import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { describe, expect, it } from "vitest";
import { createMessageParser } from "./parse-message.js";

const parser = createMessageParser();

function stream(raw: string | Buffer): Readable {
  return Readable.from([Buffer.from(raw)]);
}

function crlf(lines: string[]): string {
  return lines.join("\r\n");
}

async function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}

describe("messageParser.parse", () => {
  it("keeps every header in order with repeats, unfolded and with encoded words decoded", async () => {
    const raw = crlf([
      "Received: from a by b",
      `Subject: =?UTF-8?B?${Buffer.from("Hello 🙂").toString("base64")}?=`,
      "X-Trace: one",
      "X-Trace: two,",
      "\tfolded",
      "Received: from c by d",
      "",
      "body",
    ]);
    const view = await parser.parse(stream(raw));
    expect(view.headers).toEqual([
      { name: "Received", value: "from a by b" },
      { name: "Subject", value: "Hello 🙂" },
      { name: "X-Trace", value: "one" },
      { name: "X-Trace", value: "two,\tfolded" },
      { name: "Received", value: "from c by d" },
    ]);
    expect(view.subject).toBe("Hello 🙂");
    expect(view.text).toBe("body");
    expect(view.parseError).toBeNull();
  });

  it("reads addresses with decoded names and flattens groups", async () => {
    const raw = crlf([
      "From: =?UTF-8?Q?Ada_L=C3=B6velace?= <ada@example.com>",
      'To: Team: a@x.test, "B" <b@x.test>;, c@x.test',
      "Cc: d@x.test",
      "Bcc: e@x.test",
      "Reply-To: replies@x.test",
      "",
      "hi",
    ]);
    const view = await parser.parse(stream(raw));
    expect(view.from).toEqual([{ name: "Ada Lövelace", address: "ada@example.com" }]);
    expect(view.to).toEqual([
      { name: "", address: "a@x.test" },
      { name: "B", address: "b@x.test" },
      { name: "", address: "c@x.test" },
    ]);
    expect(view.cc).toEqual([{ name: "", address: "d@x.test" }]);
    expect(view.bcc).toEqual([{ name: "", address: "e@x.test" }]);
    expect(view.replyTo).toEqual([{ name: "", address: "replies@x.test" }]);
  });

  it("gives the Date as ISO, and null (not the current time) when it is missing or invalid", async () => {
    const dated = await parser.parse(stream(crlf(["Date: Tue, 1 Jul 2025 10:00:00 +0200", "", "x"])));
    expect(dated.date).toBe("2025-07-01T08:00:00.000Z");
    expect((await parser.parse(stream(crlf(["Date: someday", "", "x"])))).date).toBeNull();
    expect((await parser.parse(stream(crlf(["Subject: no date", "", "x"])))).date).toBeNull();
  });

  it("lists attachments with server ids, decoded names, sizes, sha256, content ids and dispositions", async () => {
    const pdf = Buffer.from("%PDF-1.4 pretend");
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const raw = await compose({
      from: "a@x.test",
      to: "b@x.test",
      messageId: "<m1@x.test>",
      subject: "files",
      text: "see https://x.test/t",
      html: '<p><img src="cid:logo@x"><a href="https://x.test/h">Open</a></p>',
      attachments: [
        { filename: "Rechnung März.pdf", content: pdf, contentType: "application/pdf" },
        { filename: "logo.png", content: png, cid: "logo@x" },
      ],
    });
    const view = await parser.parse(stream(raw));
    expect(view.messageId).toBe("<m1@x.test>");
    // Ids follow MIME order: nodemailer puts the related image before the mixed attachment.
    expect(view.attachments).toEqual([
      {
        id: "a1",
        filename: "logo.png",
        contentType: "image/png",
        size: png.length,
        sha256: createHash("sha256").update(png).digest("hex"),
        contentId: "logo@x",
        disposition: "inline",
      },
      {
        id: "a2",
        filename: "Rechnung März.pdf",
        contentType: "application/pdf",
        size: pdf.length,
        sha256: createHash("sha256").update(pdf).digest("hex"),
        contentId: null,
        disposition: "attachment",
      },
    ]);
    // cid: references stay as written (no data: URLs substituted).
    expect(view.html).toContain('src="cid:logo@x"');
    expect(view.text).toBe("see https://x.test/t");
    expect(view.links).toEqual([
      { href: "https://x.test/h", text: "Open", source: "html" },
      { href: "https://x.test/t", text: "https://x.test/t", source: "text" },
    ]);
  });

  it("leaves text null for an HTML-only message instead of synthesising it", async () => {
    const view = await parser.parse(stream(await compose({ from: "a@x.test", html: "<b>only html</b>" })));
    expect(view.html?.trim()).toBe("<b>only html</b>");
    expect(view.text).toBeNull();
  });

  it("returns an empty view with parseError instead of rejecting when MIME is unparseable", async () => {
    // mailparser refuses messages with more than 1000 MIME parts.
    const parts = Array.from({ length: 1005 }, () => "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n").join("");
    const raw = `Subject: bomb\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`;
    const view = await parser.parse(stream(raw));
    expect(view.parseError).toMatch(/\S/);
    expect(view.subject).toBe("");
    expect(view.headers).toEqual([]);
  });

  it("returns a parseError when the stream fails", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk went away"));
      },
    });
    expect((await parser.parse(failing)).parseError).toBe("disk went away");
  });
});

describe("messageParser.attachmentContent", () => {
  it("returns the decoded bytes of the attachment at an index, and null past the end", async () => {
    const first = Buffer.from("first file");
    const second = Buffer.alloc(100_000, 7);
    const raw = await compose({
      from: "a@x.test",
      text: "x",
      attachments: [
        { filename: "1.txt", content: first },
        { filename: "2.bin", content: second },
      ],
    });
    expect(await parser.attachmentContent(stream(raw), 0)).toEqual(first);
    expect(await parser.attachmentContent(stream(raw), 1)).toEqual(second);
    expect(await parser.attachmentContent(stream(raw), 2)).toBeNull();
  });
});
