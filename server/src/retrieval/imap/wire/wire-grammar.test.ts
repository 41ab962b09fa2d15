import parseImapResponse from "imapflow/lib/handler/imap-parser.js";
import { parseBodystructure, parseEnvelope } from "imapflow/lib/tools.js";
import { describe, expect, it } from "vitest";
import { parseMimeTree } from "../../mime/mime-tree.js";
import { bodyStructure } from "./body-structure.js";
import { envelope } from "./envelope.js";
import { writeValues } from "./wire-value.js";

const crlf = (lines: string[]) => Buffer.from(lines.join("\r\n"), "latin1");
const wire = (value: Parameters<typeof writeValues>[0][number]) =>
  Buffer.concat(writeValues([value])).toString("latin1");

/** Runs a FETCH response line through imapflow's own response parser, as a client would read it. */
async function asImapflowSees(item: "ENVELOPE" | "BODYSTRUCTURE" | "BODY", text: string) {
  const response = await parseImapResponse(`* 1 FETCH (${item} ${text})`);
  const attributes = response.attributes as unknown as [{ value: string }, unknown[]];
  const list = attributes[1] as unknown[];
  return list[1] as unknown[];
}

// RFC 3501 section 8 (sample connection): the message behind message 12 of that session.
const RFC_SAMPLE = crlf([
  "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
  "From: Terry Gray <gray@cac.washington.edu>",
  "Subject: IMAP4rev1 WG mtg summary and minutes",
  "To: imap@cac.washington.edu",
  "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>",
  "Message-Id: <B27397-0100000@cac.washington.edu>",
  "MIME-Version: 1.0",
  "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
  "",
  "Minutes line 1",
  "Minutes line 2",
  "",
]);

describe("ENVELOPE (RFC 3501 section 7.4.2)", () => {
  it("is written exactly as in the RFC's sample session", () => {
    const root = parseMimeTree(RFC_SAMPLE);
    expect(wire(envelope(root.header))).toBe(
      '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
        '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
        '"<B27397-0100000@cac.washington.edu>")',
    );
  });

  it("writes groups, routes, quoted names, comments as names and missing domains", async () => {
    const raw = crlf([
      'From: "Doe, Jane" <jane@example.com>',
      "To: undisclosed-recipients:;",
      "Cc: Team: ann@x.test, Bob <bob@x.test>;, carl@y.test (Carl C)",
      "Bcc: <@relay.test,@hop.test:route@z.test>, postmaster",
      "Reply-To: =?utf-8?q?J=C3=BCrgen?= <j@example.com>",
      "Sender: ",
      "In-Reply-To: <a@b>",
      "Subject: =?utf-8?B?w6Rw?=",
      "",
      "",
    ]);
    const value = envelope(parseMimeTree(raw).header);
    const text = wire(value);
    expect(text).toContain('(("Doe, Jane" NIL "jane" "example.com"))');
    expect(text).toContain('((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))');
    expect(text).toContain(
      '((NIL NIL "Team" NIL)(NIL NIL "ann" "x.test")("Bob" NIL "bob" "x.test")(NIL NIL NIL NIL)("Carl C" NIL "carl" "y.test"))',
    );
    expect(text).toContain(
      '((NIL "@relay.test,@hop.test" "route" "z.test")(NIL NIL "postmaster" "MISSING_DOMAIN"))',
    );
    // An empty Sender header names nobody: it defaults to From, like a missing one.
    const parsed = parseEnvelope(await asImapflowSees("ENVELOPE", text).then((list) => list as never));
    expect(parsed.from).toEqual([{ name: "Doe, Jane", address: "jane@example.com" }]);
    expect(parsed.sender).toEqual(parsed.from);
    expect(parsed.replyTo).toEqual([{ name: "Jürgen", address: "j@example.com" }]);
    expect(parsed.subject).toBe("äp");
    expect(parsed.inReplyTo).toBe("<a@b>");
    expect(parsed.cc).toContainEqual({ name: "Bob", address: "bob@x.test" });
  });

  it("sends 8-bit header bytes as a literal, unchanged", () => {
    const raw = Buffer.concat([
      Buffer.from("Subject: "),
      Buffer.from("Grüße", "utf8"),
      Buffer.from("\r\n\r\n"),
    ]);
    const chunks = writeValues(envelope(parseMimeTree(raw).header));
    const all = Buffer.concat(chunks);
    expect(all.includes(Buffer.from("{7}\r\nGrüße", "utf8"))).toBe(true);
  });
});

describe("BODYSTRUCTURE (RFC 3501 section 7.4.2)", () => {
  it("writes the RFC's single-part BODY example", () => {
    const root = parseMimeTree(RFC_SAMPLE);
    const body = RFC_SAMPLE.length - root.header.bodyStart;
    expect(wire(bodyStructure(RFC_SAMPLE, root, false))).toBe(
      `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" ${body} 2)`,
    );
  });

  it("writes the RFC's multipart example: parts side by side, then the subtype", () => {
    const raw = crlf([
      "Content-Type: multipart/mixed; boundary=x",
      "",
      "--x",
      "Content-Type: text/plain; charset=US-ASCII",
      "",
      "line one",
      "line two",
      "--x",
      'Content-Type: text/plain; charset=US-ASCII; name="cc.diff"',
      "Content-ID: <960723163407.20117h@cac.washington.edu>",
      "Content-Description: Compiler diff",
      "Content-Transfer-Encoding: base64",
      "",
      "aGVsbG8=",
      "--x--",
      "",
    ]);
    const root = parseMimeTree(raw);
    expect(wire(bodyStructure(raw, root, false))).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 18 2)' +
        '("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" ' +
        '"Compiler diff" "BASE64" 8 1) "MIXED")',
    );
  });

  it("parses in imapflow to the tree a client renders from", async () => {
    const raw = crlf([
      "From: a@b.test",
      "Subject: nested",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "preamble",
      "--outer",
      "Content-Type: multipart/alternative; boundary=inner",
      "",
      "--inner",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Gr=C3=BC=C3=9Fe",
      "--inner",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Hi</p>",
      "--inner--",
      "--outer",
      "Content-Type: message/rfc822",
      'Content-Disposition: attachment; filename="forwarded.eml"',
      "",
      "From: Inner Sender <inner@x.test>",
      "Subject: the inner one",
      "",
      "inner body",
      "--outer",
      "Content-Type: application/pdf; name*=utf-8''r%C3%A9sum%C3%A9.pdf",
      "Content-Disposition: attachment; filename*0*=utf-8''r%C3%A9; filename*1*=sum%C3%A9.pdf",
      "Content-Language: en, de",
      "Content-Location: http://x.test/r.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0=",
      "--outer--",
      "epilogue",
      "",
    ]);
    const root = parseMimeTree(raw);
    const text = wire(bodyStructure(raw, root, true));
    const tree = parseBodystructure((await asImapflowSees("BODYSTRUCTURE", text)) as never);
    expect(tree.type).toBe("multipart/mixed");
    expect(tree.parameters).toEqual({ boundary: "outer" });
    const [alternative, forwarded, pdf] = tree.childNodes!;
    expect(alternative!.type).toBe("multipart/alternative");
    expect(alternative!.childNodes!.map((node) => [node.part, node.type, node.encoding])).toEqual([
      ["1.1", "text/plain", "quoted-printable"],
      ["1.2", "text/html", "7bit"],
    ]);
    expect(alternative!.childNodes![0]!.size).toBe("Gr=C3=BC=C3=9Fe".length);
    expect(alternative!.childNodes![0]!.lineCount).toBe(1);
    expect(forwarded!.type).toBe("message/rfc822");
    expect(forwarded!.disposition).toBe("attachment");
    expect(forwarded!.dispositionParameters).toEqual({ filename: "forwarded.eml" });
    expect(forwarded!.envelope?.subject).toBe("the inner one");
    expect(forwarded!.envelope?.from).toEqual([{ name: "Inner Sender", address: "inner@x.test" }]);
    expect(forwarded!.childNodes![0]!.type).toBe("text/plain");
    expect(forwarded!.lineCount).toBe(4);
    expect(pdf!.part).toBe("3");
    expect(pdf!.parameters).toEqual({ name: "résumé.pdf" });
    expect(pdf!.dispositionParameters).toEqual({ filename: "résumé.pdf" });
    expect(pdf!.language).toEqual(["en", "de"]);
    expect(pdf!.location).toBe("http://x.test/r.pdf");
  });

  it("gives a multipart without any delimiter one empty text part", () => {
    const raw = crlf(["Content-Type: multipart/mixed; boundary=nope", "", "no parts here", ""]);
    expect(wire(bodyStructure(raw, parseMimeTree(raw), false))).toBe(
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED")',
    );
  });

  it("gives a message without Content-Type text/plain in US-ASCII", () => {
    const raw = crlf(["Subject: plain", "", "body", ""]);
    expect(wire(bodyStructure(raw, parseMimeTree(raw), true))).toBe(
      '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 6 1 NIL NIL NIL NIL)',
    );
  });
});
