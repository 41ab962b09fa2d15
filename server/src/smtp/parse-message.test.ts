import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import libmime from "libmime";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { describe, expect, it } from "vitest";
import { createMessageParser } from "./parse-message.js";

const parser = createMessageParser();

/**
 * Small messages go to PostalMime and large ones to mailparser (`parse-message.ts`): the rules below
 * hold for both, mailparser forced here by a limit of 0 bytes.
 */
const parsers = [
  ["PostalMime for a small message", parser],
  ["mailparser for a large one", createMessageParser({ wholeMessageMaxBytes: 0 })],
] as const;

function stream(raw: string | Buffer): Readable {
  return Readable.from([Buffer.from(raw)]);
}

/** Lines as an SMTP client sends them, each ending in CRLF. */
function crlf(lines: string[]): string {
  return `${lines.join("\r\n")}\r\n`;
}

async function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}

const PART_BYTES = 1024;

function partContent(index: number): string {
  return `part ${index}:`.padEnd(PART_BYTES, ".");
}

/** A text part, then `attachments` 1 KiB attachments: more MIME nodes than mailparser reads. */
function partBomb(attachments: number): string {
  const parts = Array.from(
    { length: attachments },
    (_, i) =>
      `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=part-${i + 1}.bin\r\n\r\n${partContent(i)}\r\n`,
  ).join("");
  return crlf([
    "Subject: bomb",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=b",
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "Hello, partial reader: https://example.test/partial",
    `${parts}--b--`,
  ]);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe.each(parsers)("messageParser.parse, %s", (_, parser) => {
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
    expect(view.text).toBe("body\n");
    expect(view.parseError).toBeNull();
  });

  it("decodes a header value exactly as libmime does, whether or not it holds an encoded word", async () => {
    const values = [
      "plain words",
      "=?UTF-8?Q?caf=C3=A9?= =?UTF-8?Q?_au_lait?=",
      "=?ISO-8859-1?B?Y2Fm6Q==?= and after",
      "not =? quite an encoded word",
      // libmime's own marker for joining adjacent words, here as literal (hostile) content.
      "a__\u0000JOIN\u0000__b",
    ];
    const raw = crlf([...values.map((value) => `X-Value: ${value}`), "", "body"]);
    const view = await parser.parse(stream(raw));
    expect(view.headers.map((header) => header.value)).toEqual(
      values.map((value) => libmime.decodeWords(value)),
    );
    expect(view.headers[1]!.value).toBe("café au lait");
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

  it("lists a text part that carries a file name as an attachment, as Python's email package does (test_email msg_44)", async () => {
    const raw = crlf([
      "From: barry@python.org",
      "Subject: a simple multipart",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="h90VIIIKmx"',
      "",
      "--h90VIIIKmx",
      "Content-Type: text/plain",
      "",
      "the body",
      "--h90VIIIKmx",
      'Content-Type: text/plain; name="msg.txt"',
      "",
      "a simple kind of mirror",
      "--h90VIIIKmx",
      "Content-Type: text/plain",
      'Content-Disposition: inline; filename="notes.txt"',
      "",
      "to reflect upon our own",
      "--h90VIIIKmx--",
    ]);
    const view = await parser.parse(stream(raw));
    expect(view.text?.trim()).toBe("the body");
    expect(view.attachments.map((a) => [a.filename, a.contentType, a.disposition])).toEqual([
      ["msg.txt", "text/plain", "attachment"],
      ["notes.txt", "text/plain", "inline"],
    ]);
    expect((await parser.attachmentContent(stream(raw), 0))?.toString()).toBe("a simple kind of mirror");
  });

  it("leaves text null for an HTML-only message instead of synthesising it", async () => {
    const view = await parser.parse(stream(await compose({ from: "a@x.test", html: "<b>only html</b>" })));
    expect(view.html?.trim()).toBe("<b>only html</b>");
    expect(view.text).toBeNull();
  });

  it("keeps what it read before mailparser's 1,000-node limit: headers, text, links, attachments, and the error", async () => {
    // In one buffer, as the store hands over a small message: mailparser still sees it in pieces.
    const view = await parser.parse(stream(partBomb(1200)));
    expect(view.parseError).toBe("Max allowed child nodes exceeded");
    expect(view.subject).toBe("bomb");
    expect(view.headers.map((header) => header.name)).toEqual(["Subject", "MIME-Version", "Content-Type"]);
    expect(view.text).toBe("Hello, partial reader: https://example.test/partial");
    expect(view.links.map((link) => link.href)).toEqual(["https://example.test/partial"]);
    // The root and the text part are nodes too, so at most 998 attachments come before the limit;
    // the parts still in mailparser's buffers when it stopped (a few dozen KiB) are lost.
    expect(view.attachments.length).toBeGreaterThan(950);
    expect(view.attachments.length).toBeLessThan(998);
    view.attachments.forEach((attachment, i) => {
      expect(attachment).toMatchObject({ id: `a${i + 1}`, filename: `part-${i + 1}.bin`, size: PART_BYTES });
    });
    expect(view.attachments[9]?.sha256).toBe(sha256(partContent(9)));
  });

  it("serves the content of an attachment read before the limit", async () => {
    expect((await parser.attachmentContent(stream(partBomb(1200)), 499))?.toString()).toBe(partContent(499));
  });

  it("returns an empty view with parseError, never rejecting, when nothing could be read", async () => {
    const view = await parser.parse(
      stream(`Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\n".repeat(1005)}`),
    );
    expect(view.parseError).toBe("Max allowed child nodes exceeded");
    expect(view.attachments).toEqual([]);
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

describe("messageParser.parse, whatever the pieces the bytes arrive in", () => {
  // mailsplit (under mailparser) is patched to find line ends with Buffer#indexOf: lines split
  // across pieces, a CR and its LF in different pieces, and a last line without LF must come out
  // exactly as with whole input.
  it.each([1, 2, 7, 76, 77, 78, 4096, 65536])("pieces of %i bytes", async (pieceBytes) => {
    const attachment = createHash("sha512").update("mailnest").digest().toString("hex").repeat(300);
    const raw = await compose({
      from: "app@example.test",
      to: "user@example.test",
      subject: "Pieces",
      text: "first line\nsecond line\n\nlast line without a break",
      attachments: [{ filename: "data.txt", content: attachment, contentType: "application/octet-stream" }],
    });
    const whole = await parser.parse(stream(raw));
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < raw.length; offset += pieceBytes)
      pieces.push(raw.subarray(offset, offset + pieceBytes));
    const pieced = await parser.parse(Readable.from(pieces));

    expect(pieced).toEqual(whole);
    expect(whole.text).toBe("first line\nsecond line\n\nlast line without a break");
    expect(whole.attachments).toMatchObject([
      { filename: "data.txt", size: attachment.length, sha256: sha256(attachment) },
    ]);
  });
});

describe("messageParser.parseSource", () => {
  // A message of at most 16 KiB is handed to mailparser as one buffer, a larger one through the
  // slicing stream: the view must not depend on which.
  it.each([
    ["a small message with an attachment", 2 * 1024],
    ["a message just under one slice", 16 * 1024 - 600],
    ["a message over one slice", 40 * 1024],
  ])("gives the view parse() gives, for %s", async (_, bytes) => {
    const raw = await compose({
      from: "App <app@example.test>",
      to: "user@example.test",
      subject: "=?UTF-8?Q?caf=C3=A9?= source",
      text: "code 123456 https://example.test/confirm",
      html: '<p>code <a href="https://example.test/confirm">confirm</a></p>',
      attachments: [{ filename: "a.bin", content: Buffer.alloc(bytes * 0.7, 7) }],
    });
    const fromBytes = await parser.parseSource({ kind: "bytes", bytes: raw });
    expect(fromBytes).toEqual(await parser.parse(stream(raw)));
    expect(fromBytes).toMatchObject({ subject: "café source", parseError: null });
    expect(fromBytes.links.map((link) => link.href)).toContain("https://example.test/confirm");
    expect(fromBytes.attachments).toMatchObject([{ filename: "a.bin", size: Math.floor(bytes * 0.7) }]);
  });

  it("keeps the headers and the error of a small message mailparser gives up on", async () => {
    const raw = Buffer.from(
      `Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\n".repeat(1005)}`,
    );
    expect(raw.length).toBeLessThan(16 * 1024);
    const view = await parser.parseSource({ kind: "bytes", bytes: raw });
    expect(view).toMatchObject({
      subject: "x",
      parseError: "Max allowed child nodes exceeded",
      attachments: [],
    });
  });
});

describe.each(parsers)("messageParser.attachmentContent by checksum, %s", (_, parser) => {
  // Before 0.2 a bounce's delivery-status part was read into the text, so the view stored then
  // lists the returned headers as a1; the same bytes parse now with delivery-status as a1.
  const bounce = crlf([
    "From: MAILER-DAEMON@x.test",
    "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=r",
    "",
    "--r",
    "Content-Type: text/plain",
    "",
    "<gone@x.test>: 5.1.1 User unknown",
    "--r",
    "Content-Type: message/delivery-status",
    "",
    "Final-Recipient: rfc822; gone@x.test",
    "Status: 5.1.1",
    "--r",
    "Content-Type: text/rfc822-headers",
    "",
    "Subject: original",
    "--r--",
  ]);

  it("finds the attachment an earlier view listed by its sha256, wherever it stands now", async () => {
    const view = await parser.parse(stream(bounce));
    expect(view.attachments.map((a) => a.contentType)).toEqual([
      "message/delivery-status",
      "text/rfc822-headers",
    ]);
    const headers = view.attachments[1]!;
    expect((await parser.attachmentContent(stream(bounce), 0, headers.sha256))?.toString()).toBe(
      "Subject: original",
    );
    expect((await parser.attachmentContent(stream(bounce), 1, headers.sha256))?.toString()).toBe(
      "Subject: original",
    );
  });

  it("serves nothing when no attachment has the bytes the view recorded", async () => {
    expect(await parser.attachmentContent(stream(bounce), 1, sha256("something else"))).toBeNull();
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
