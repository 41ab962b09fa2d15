import { Readable } from "node:stream";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { describe, expect, it } from "vitest";
import { createMessageParser, parserFor, WHOLE_MESSAGE_MAX_BYTES } from "./parse-message.js";
import { parseWithPostalMime, ReadsDifferently } from "./postal-view.js";

/**
 * A small message is parsed whole by PostalMime and a large one by mailparser's stream
 * (`parse-message.ts`); the view must not depend on which. Each message below, of a kind apps send,
 * is read by both (mailparser forced by a limit of 0 bytes) and must give the same view and the same
 * attachment bytes. The kinds PostalMime would read differently (`ReadsDifferently`) go to
 * mailparser whatever their size; every other kind here must be PostalMime's, or the speed it is
 * there for would be lost without a test noticing.
 */
const whole = createMessageParser();
const streamed = createMessageParser({ wholeMessageMaxBytes: 0 });

type Mail = ConstructorParameters<typeof MailComposer>[0];

function compose(mail: Mail): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}

function crlf(lines: string[]): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\n`);
}

const ICS = crlf([
  "BEGIN:VCALENDAR",
  "METHOD:REQUEST",
  "BEGIN:VEVENT",
  "SUMMARY:Kick-off",
  "DTSTART:20261207T090000Z",
  "END:VEVENT",
  "END:VCALENDAR",
  "",
  "",
]).toString();

/** Kinds of message that PostalMime leaves to mailparser, by the names below. */
const LEFT_TO_MAILPARSER = new Set([
  "a forwarded message",
  "several text parts in a mixed message, one in Latin-1",
  "format=flowed text",
  "8-bit text that is not UTF-8, without a charset",
  "8-bit text that is not UTF-8, in a charset no decoder knows",
  "8-bit UTF-8 text labelled US-ASCII",
  "a multipart/digest whose parts have no Content-Type",
  "a text part and one with a Content-Type without a subtype",
]);

const corpus: Array<[string, () => Promise<Buffer>]> = [
  [
    "plain text",
    () => compose({ from: "app@x.test", to: "u@x.test", subject: "Hi", text: "Your code is 123456.\n" }),
  ],
  ["HTML only", () => compose({ from: "app@x.test", to: "u@x.test", html: "<p>only <b>HTML</b></p>" })],
  [
    "text and HTML, quoted-printable, UTF-8 subject and names",
    () =>
      compose({
        from: "Zoë Café <zoe@x.test>",
        to: ["Ünïcode <u@x.test>", "b@x.test"],
        cc: "Team: c@x.test, d@x.test;",
        replyTo: "r@x.test",
        subject: "Bestätigung ✓ — please confirm your address",
        text: `Confirm: https://x.test/confirm?t=abc&u=1\n${"A line of text that goes on. ".repeat(12)}`,
        html: `<p>Confirm <a href="https://x.test/confirm?t=abc&amp;u=1">here</a> ✓</p>`,
        textEncoding: "quoted-printable",
      }),
  ],
  [
    "base64 text parts",
    () =>
      compose({ from: "a@x.test", text: "zwölf Boxkämpfer\n", html: "<i>zwölf</i>", textEncoding: "base64" }),
  ],
  [
    "attachments, an inline image and a related HTML",
    () =>
      compose({
        from: "a@x.test",
        to: "b@x.test",
        subject: "files",
        text: "see attached",
        html: '<img src="cid:logo@x"><a href="https://x.test/h">open</a>',
        attachments: [
          {
            filename: "Rechnung März 2026 – endgültig.pdf",
            content: Buffer.from("%PDF-1.4 x"),
            contentType: "application/pdf",
          },
          { filename: "logo.png", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), cid: "logo@x" },
          { filename: "data.csv", content: "a,b\n1,2\n", contentType: "text/csv" },
          { filename: "notes.txt", content: "plain notes\n", contentDisposition: "inline" },
          // Past PostalMime's first decoding buffers (4 and 16 KiB, patches/postal-mime@*.patch).
          { content: Buffer.from(Array.from({ length: 18_000 }, (_, i) => (i * 7919) & 0xff)) },
        ],
      }),
  ],
  [
    "a calendar invitation",
    () =>
      compose({
        from: "cal@x.test",
        to: "u@x.test",
        subject: "Invitation",
        text: "You are invited",
        icalEvent: { method: "REQUEST", filename: "invite.ics", content: ICS },
        attachments: [{ filename: "event.ics", content: ICS, contentType: "text/calendar; method=REQUEST" }],
      }),
  ],
  [
    "a forwarded message",
    async () =>
      compose({
        from: "a@x.test",
        text: "forwarding",
        attachments: [
          {
            content: await compose({ from: "inner@x.test", subject: "inner", text: "inside" }),
            contentType: "message/rfc822",
          },
        ],
      }),
  ],
  [
    "several text parts in a mixed message, one in Latin-1",
    async () =>
      crlf([
        "From: a@x.test",
        "Subject: parts",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "first part",
        "--b",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "na=EFve caf=E9",
        "--b",
        "Content-Type: text/html",
        "",
        "<p>html part</p>",
        "--b--",
      ]),
  ],
  [
    "RFC 2231 file names, encoded words, folded headers, a group",
    async () =>
      crlf([
        "From: =?UTF-8?B?w4lsb2TDrWU=?= <e@x.test>",
        "To: undisclosed-recipients:;",
        "Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?Q?_au_lait?=",
        "X-Long: one two three",
        "\tfour five",
        "Date: Sat, 05 Dec 2026 10:00:00 +0100",
        "Message-ID: <m@x.test>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="c"',
        "",
        "--c",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Rates attached.",
        "",
        "--c",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
        "Content-Transfer-Encoding: base64",
        "",
        "ZXVybyByYXRlcwo=",
        "--c--",
      ]),
  ],
  [
    "format=flowed text",
    async () =>
      crlf([
        "From: a@x.test",
        "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",
        "",
        "A flowed line that is ",
        "continued here.",
      ]),
  ],
  [
    // Node 20's TextDecoder reads windows-1252 as ISO-8859-1 (patches/postal-mime@*.patch).
    "windows-1252 text, HTML and names, with the bytes 0x80-0x9F",
    async () => {
      const smart = Buffer.from([
        0x93, 0x73, 0x6d, 0x61, 0x72, 0x74, 0x94, 0x20, 0x80, 0x35, 0x20, 0x96, 0x20, 0xe9,
      ]);
      return crlf([
        "From: =?windows-1252?Q?=93Caf=E9=94_=96_Shop?= <shop@x.test>",
        "Subject: =?windows-1252?B?k3F1b3RlZJQ=?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="w"',
        "",
        "--w",
        "Content-Type: text/plain; charset=windows-1252",
        "Content-Transfer-Encoding: base64",
        "",
        smart.toString("base64"),
        "--w",
        "Content-Type: text/html; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "<p>=93quoted=94 price =80 9 =97 caf=E9</p>",
        "--w--",
      ]);
    },
  ],
  [
    "raw UTF-8 headers (SMTPUTF8)",
    async () =>
      crlf([
        "From: José Müller <josé@exämple.test>",
        "To: 用户 <用户@example.test>",
        "Subject: Grüße",
        "",
        "hallo",
      ]),
  ],
  [
    "a bounce (RFC 3464) and an abuse report (RFC 5965)",
    async () =>
      crlf([
        "From: MAILER-DAEMON@x.test",
        "Subject: Undelivered Mail Returned to Sender",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        "",
        "--r",
        "Content-Type: text/plain",
        "",
        "<gone@x.test>: 5.1.1 User unknown",
        "--r",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; x.test",
        "",
        "Final-Recipient: rfc822; gone@x.test",
        "Action: failed",
        "Status: 5.1.1",
        "",
        "--r",
        "Content-Type: message/feedback-report",
        "",
        "Feedback-Type: abuse",
        "",
        "--r",
        "Content-Type: text/rfc822-headers",
        "",
        "From: app@x.test",
        "Subject: original",
        "",
        "--r--",
      ]),
  ],
  [
    "8-bit text that is not UTF-8, without a charset",
    async () =>
      Buffer.concat([
        Buffer.from("From: a@x.test\r\nContent-Type: text/plain\r\n\r\ncaf"),
        Buffer.from([0xe9, 0x93, 0x0d, 0x0a]),
      ]),
  ],
  [
    "8-bit text that is not UTF-8, in a charset no decoder knows",
    async () =>
      Buffer.concat([
        Buffer.from("From: a@x.test\r\nContent-Type: text/plain; charset=x-unknown-thing\r\n\r\ncaf"),
        Buffer.from([0xe9, 0x0d, 0x0a]),
      ]),
  ],
  ["an empty body", async () => crlf(["From: a@x.test", "Subject: empty", ""])],
  [
    "bare local parts, several From mailboxes, folded names and subject",
    async () =>
      crlf([
        "From: A <a@x.test>, Very Long",
        "  Name   Here <b@x.test>",
        "Sender: a@x.test",
        "To: root, Bob <bob@x.test>, alice",
        "Cc: =?UTF-8?B?RXZpbCwgPGFkbWluQGJhbmsudGVzdD4=?= <x@x.test>",
        "Subject: This is a folded",
        "   subject line",
        "\twith tabs",
        "",
        "body",
      ]),
  ],
  [
    "8-bit UTF-8 text labelled US-ASCII",
    async () => Buffer.from("From: a@x.test\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nGrüße\r\n"),
  ],
  [
    "an attachment declared application/octet-stream with a .pdf name",
    () =>
      compose({
        from: "app@x.test",
        to: "u@x.test",
        text: "see attached",
        attachments: [
          {
            filename: "invoice.pdf",
            content: "%PDF-1.4 not really",
            contentType: "application/octet-stream",
          },
        ],
      }),
  ],
  [
    "a Content-Type without a subtype",
    async () => crlf(["From: a@x.test", "Content-Type: text; charset=utf-8", "", "no subtype body"]),
  ],
  [
    "a Content-Type that is garbage",
    async () => crlf(["From: a@x.test", 'Content-Type: ;;garbage== "x', "", "garbage ct body"]),
  ],
  [
    "a text part and one with a Content-Type without a subtype",
    async () =>
      crlf([
        "From: a@x.test",
        "Content-Type: multipart/mixed; boundary=b",
        "",
        "--b",
        "",
        "implicit text part",
        "--b",
        "Content-Type: plain",
        "",
        "bad type part",
        "--b--",
      ]),
  ],
  [
    "a multipart/digest whose parts have no Content-Type",
    async () =>
      crlf([
        "From: a@x.test",
        "Content-Type: multipart/mixed; boundary=o",
        "",
        "--o",
        "Content-Type: text/plain",
        "",
        "digest intro",
        "--o",
        "Content-Type: multipart/digest; boundary=d",
        "",
        "--d",
        "",
        "From: d1@x.test",
        "Subject: Digest one",
        "",
        "inner one",
        "--d",
        "",
        "From: d2@x.test",
        "Subject: Digest two",
        "",
        "inner two",
        "--d--",
        "--o--",
      ]),
  ],
  [
    "a UTF-8 byte-order mark",
    async () =>
      Buffer.from("From: a@x.test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\ufeffBOM text\r\n"),
  ],
];

describe("PostalMime (small messages) and mailparser (large ones) give the same view", () => {
  it("reads addresses, a folded subject, mislabelled ASCII, a byte-order mark, broken types and a digest as Python's email package does", async () => {
    const read = async (name: string) => {
      const make = corpus.find(([kind]) => kind === name)![1];
      return streamed.parse(Readable.from([await make()]));
    };
    const addressed = await read("bare local parts, several From mailboxes, folded names and subject");
    expect(addressed.from).toEqual([
      { name: "A", address: "a@x.test" },
      { name: "Very Long Name Here", address: "b@x.test" },
    ]);
    expect(addressed.to).toEqual([
      { name: "", address: "root" },
      { name: "Bob", address: "bob@x.test" },
      { name: "", address: "alice" },
    ]);
    expect(addressed.cc).toEqual([{ name: "Evil, <admin@bank.test>", address: "x@x.test" }]);
    expect(addressed.subject).toBe("This is a folded   subject line\twith tabs");
    expect((await read("8-bit UTF-8 text labelled US-ASCII")).text).toBe("Grüße\n");
    expect((await read("a UTF-8 byte-order mark")).text).toBe("BOM text\n");
    // The type as declared, not one guessed from the name: a test checks what the app sends.
    expect(
      (await read("an attachment declared application/octet-stream with a .pdf name")).attachments,
    ).toMatchObject([{ filename: "invoice.pdf", contentType: "application/octet-stream" }]);
    // RFC 2045 section 5.2: no subtype, or garbage, is text/plain.
    expect((await read("a Content-Type without a subtype")).text).toBe("no subtype body\n");
    expect((await read("a Content-Type that is garbage")).text).toBe("garbage ct body\n");
    for (const type of ["text/", "/plain", "text / plain"]) {
      const raw = crlf(["From: a@x.test", `Content-Type: ${type}; charset=utf-8`, "", "half a type"]);
      for (const parser of [whole, streamed]) {
        expect((await parser.parse(Readable.from([raw]))).text, type).toBe("half a type\n");
      }
    }
    // A multipart that cannot be split (no boundary, or no subtype) is text, as Python reads it:
    // mailparser lost the body of the first and split the second.
    for (const type of ["multipart/mixed", "multipart; boundary=b"]) {
      const raw = crlf([
        "From: a@x.test",
        `Content-Type: ${type}`,
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "inside",
        "--b--",
      ]);
      for (const parser of [whole, streamed]) {
        expect((await parser.parse(Readable.from([raw]))).text, type).toBe(
          "--b\nContent-Type: text/plain\n\ninside\n--b--\n",
        );
      }
    }
    // A second To is not allowed (RFC 5322 section 3.6), but is sent: its addresses are kept.
    const twice = crlf(["From: a@x.test", "To: first@x.test", "To: second@x.test", "", "body"]);
    for (const parser of [whole, streamed]) {
      expect((await parser.parse(Readable.from([twice]))).to.map((address) => address.address)).toEqual([
        "first@x.test",
        "second@x.test",
      ]);
    }
    expect((await read("a text part and one with a Content-Type without a subtype")).attachments).toEqual([]);
    // RFC 2046 section 5.1.5: a digest's parts are messages, not the digest's text.
    const digest = await read("a multipart/digest whose parts have no Content-Type");
    expect(digest.text).toBe("digest intro");
    expect(digest.attachments.map((attachment) => [attachment.contentType, attachment.size])).toEqual([
      ["message/rfc822", 49],
      ["message/rfc822", 49],
    ]);
  });

  it.each(corpus)("%s", async (kind, make) => {
    const raw = await make();
    expect(raw.length).toBeLessThanOrEqual(WHOLE_MESSAGE_MAX_BYTES);
    expect(parserFor(raw)).toBe("postal-mime");
    const postal = await parseWithPostalMime(raw, 900).then(
      () => "accepted",
      (error: unknown) => (error instanceof ReadsDifferently ? "left to mailparser" : error),
    );
    expect(postal).toBe(LEFT_TO_MAILPARSER.has(kind) ? "left to mailparser" : "accepted");

    const view = await whole.parse(Readable.from([raw]));
    expect(view.parseError).toBeNull();
    expect(view).toEqual(await streamed.parse(Readable.from([raw])));
    expect(await whole.parseSource({ kind: "bytes", bytes: raw })).toEqual(view);
    for (let index = 0; index <= view.attachments.length; index++) {
      expect(await whole.attachmentContent(Readable.from([raw]), index)).toEqual(
        await streamed.attachmentContent(Readable.from([raw]), index),
      );
    }
  });
});

/** The same text in legacy charsets (encoded by iconv-lite, which mailparser decodes with), base64 bodies and subjects. */
const CHARSETS: Array<[string, string, string]> = [
  ["iso-8859-2", "Zażółć gęślą jaźń", "WmG/87PmIGfqtmyxIGphvPE="],
  ["koi8-r", "Привет, мир", "8NLJ18XULCDNydI="],
  ["windows-1251", "Привет «мир» — ок", "z/Do4uXyIKvs6PC7IJcg7uo="],
  ["shift_jis", "こんにちは世界", "grGC8YLJgr+CzZCiikU="],
  ["gb2312", "你好世界", "xOO6w8rAvec="],
  ["big5", "你好世界", "p0GmbqVArMk="],
  ["euc-kr", "안녕하세요", "vsiz58fPvLy/5A=="],
];

describe("PostalMime and mailparser read legacy charsets alike", () => {
  it.each(CHARSETS)("%s", async (charset, text, base64) => {
    const raw = crlf([
      "From: a@x.test",
      `Subject: =?${charset}?B?${base64}?=`,
      `Content-Type: text/plain; charset=${charset}`,
      "Content-Transfer-Encoding: base64",
      "",
      base64,
    ]);
    const view = await whole.parse(Readable.from([raw]));
    expect(view).toMatchObject({ subject: text, text });
    expect(view).toEqual(await streamed.parse(Readable.from([raw])));
    expect(await parseWithPostalMime(raw, 900)).toMatchObject({ text });
  });
});

describe("parserFor", () => {
  it("sends what PostalMime would read differently, and what is large, to mailparser", () => {
    const ok = crlf(["Subject: x", "", "body"]);
    expect(parserFor(ok)).toBe("postal-mime");
    // No line break at the end: PostalMime would add one to the text.
    expect(parserFor(ok.subarray(0, ok.length - 2))).toBe("mailparser");
    // A header line that is not a field: mailparser reads a field, PostalMime the body's start.
    expect(parserFor(crlf(["just a line", "Subject: x", "", "body"]))).toBe("mailparser");
    expect(parserFor(crlf([" folded first", "Subject: x", "", "body"]))).toBe("mailparser");
    // 8-bit header bytes that are not UTF-8.
    expect(
      parserFor(Buffer.concat([Buffer.from("Subject: caf"), Buffer.from([0xe9]), crlf(["", "", "x"])])),
    ).toBe("mailparser");
    // Headers alone.
    expect(parserFor(Buffer.from("Subject: x\r\n"))).toBe("mailparser");
    expect(parserFor(crlf(["Subject: x", "", "y".repeat(WHOLE_MESSAGE_MAX_BYTES)]))).toBe("mailparser");
  });
});
