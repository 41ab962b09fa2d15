/**
 * The server's `text` search and the SDK's `text` filter must give the same answer for every
 * message (issue #10, "One contract, one meaning"): both read `visibleText`, which the server
 * computes once when it parses a message. Each awkward message below goes over real SMTP as exact
 * MIME; for each needle, the server's list (`GET /api/inboxes/{address}/messages?text=…`) and the
 * SDK's filter (`compileFilter` + `evaluateFilter` on the message fetched from the server, with no
 * server narrowing in between) must both give the expected answer, so the test also fails when
 * both are wrong the same way.
 */
import { apiPaths, type MessagePage, queryString } from "@mailnest/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFilter } from "../src/filter/compile-filter.js";
import { evaluateFilter } from "../src/filter/evaluate-filter.js";
import type { Inbox } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

interface Part {
  type: "text/plain" | "text/html";
  charset: "utf-8" | "ISO-8859-1" | "windows-1252";
  encoding: "7bit" | "8bit" | "quoted-printable" | "base64";
  /** The body as it goes on the wire: a string is written as UTF-8; legacy charsets come as bytes or as QP/base64 text. */
  body: string | Buffer;
}

interface Case {
  name: string;
  parts: Part[];
  /** Needle → whether a `text` search for it should find the message. */
  needles: Record<string, boolean>;
}

const html = (body: string, encoding: Part["encoding"] = "7bit"): Part => ({
  type: "text/html",
  charset: "utf-8",
  encoding,
  body,
});
const text = (body: string): Part => ({ type: "text/plain", charset: "utf-8", encoding: "7bit", body });
/** Bytes in a legacy charset, base64 on the wire. */
const base64 = (type: Part["type"], charset: Part["charset"], bytes: Buffer): Part => ({
  type,
  charset,
  encoding: "base64",
  body: bytes.toString("base64").replace(/.{76}/g, "$&\r\n"),
});

const CORPUS: Case[] = [
  {
    name: "named and numeric entities, HTML only",
    parts: [
      html(
        "<p>Caf&eacute; one, caf&#233; two, CAF&#xE9; three.</p><p>fish&nbsp;&amp;&nbsp;chips, &amp;lt;tag&amp;gt;</p>",
      ),
    ],
    needles: {
      café: true,
      "CAFÉ THREE": true,
      "café one, café two": true,
      "fish & chips": true,
      "&lt;tag&gt;": true,
      "&eacute;": false,
      "&#233;": false,
      "<tag>": false,
      "<p>": false,
    },
  },
  {
    name: "attributes containing >, inline and block elements",
    parts: [
      html(
        '<p title=\'a > b\'>x marks the spot</p><img alt="alt > text" src="cid:logo">' +
          '<a href="https://app.test/?a>b">link words</a><p>su<b>mm</b>er</p><div>one</div><div>two</div>',
      ),
    ],
    needles: {
      "x marks the spot": true,
      "link words": true,
      summer: true,
      "one two": true,
      "a > b": false,
      "b'>x": false,
      "alt > text": false,
      "app.test": false,
      onetwo: false,
    },
  },
  {
    name: "comments and CDATA",
    parts: [html("<p>before<!-- secret comment words -->after</p><![CDATA[cdata words]]><p>visible end</p>")],
    needles: {
      beforeafter: true,
      "visible end": true,
      "secret comment": false,
      "cdata words": false,
      "<!--": false,
    },
  },
  {
    name: "script, style, head and title",
    parts: [
      html(
        "<html><head><title>Title words</title><style>.styleword { color: red }</style></head><body>" +
          '<script>var scriptword = "1 < 2 && 3 > 2";</script><p>Body words</p></body></html>',
      ),
    ],
    needles: {
      "body words": true,
      "title words": false,
      styleword: false,
      scriptword: false,
      "1 < 2": false,
      "color: red": false,
    },
  },
  {
    name: "ISO-8859-1 text, quoted-printable",
    parts: [
      {
        type: "text/plain",
        charset: "ISO-8859-1",
        encoding: "quoted-printable",
        body: "Caf=E9 cr=E8me br=FBl=E9e, =A35",
      },
    ],
    needles: { café: true, "crème brûlée": true, "£5": true, "caf=e9": false, "cafÃ©": false },
  },
  {
    name: "ISO-8859-1 HTML, base64",
    parts: [
      base64("text/html", "ISO-8859-1", Buffer.from("<p>Na&iuml;ve caf\xe9,\xa0gar\xe7on</p>", "latin1")),
    ],
    needles: { "naïve café": true, "café, garçon": true, "na&iuml;ve": false, "cafÃ©": false },
  },
  {
    name: "ISO-8859-1 HTML, 8bit",
    parts: [
      {
        type: "text/html",
        charset: "ISO-8859-1",
        encoding: "8bit",
        body: Buffer.from("<p>Cr\xe8me <i>fra\xeeche</i></p>", "latin1"),
      },
    ],
    needles: { "crème fraîche": true, "crÃ¨me": false },
  },
  {
    name: "windows-1252 text, base64",
    parts: [
      base64(
        "text/plain",
        "windows-1252",
        Buffer.from("\x93Smart quotes\x94 cost \x805 \x96 caf\xe9", "latin1"),
      ),
    ],
    needles: { "“smart quotes”": true, "€5 – café": true, "\u0093smart": false },
  },
  {
    name: "windows-1252 HTML, quoted-printable",
    parts: [
      {
        type: "text/html",
        charset: "windows-1252",
        encoding: "quoted-printable",
        body: "<p>=93Quoted=94 price: =809 &mdash; caf=E9</p>",
      },
    ],
    needles: { "“quoted” price": true, "€9 — café": true, "&mdash;": false },
  },
  {
    name: "text only",
    parts: [text("Only the plain part speaks here. <b>not a tag</b> &amp; not an entity")],
    needles: {
      "plain part": true,
      // A text part is taken as written: what looks like markup in it is text.
      "<b>not a tag</b>": true,
      "&amp;": true,
      "not a tag & not": false,
    },
  },
  {
    name: "text and HTML that disagree",
    parts: [text("Text-part words: Cafe alpha."), html("<p>HTML-part words: Caf&eacute; <b>omega</b>.</p>")],
    needles: {
      "text-part words": true,
      alpha: true,
      "html-part words: café omega": true,
      café: true,
      cafe: true,
      "<b>": false,
      "caf&eacute;": false,
    },
  },
];

let server: TestServer;
const inboxes = new Map<string, Inbox>();

beforeAll(async () => {
  server = await startTestServer();
  for (const [index, entry] of CORPUS.entries()) {
    const inbox = await server.mail.createInbox({ prefix: `agree${index}` });
    inboxes.set(entry.name, inbox);
    await server.send({
      envelope: { from: "noreply@app.test", to: [inbox.address] },
      raw: mime(inbox.address, entry),
    });
  }
});

afterAll(async () => {
  await server?.close();
});

describe("the server's text search and the SDK's text filter", () => {
  it.each(CORPUS.map((entry) => [entry.name, entry] as const))(
    "agree, and are right, on %s",
    async (_, entry) => {
      const inbox = inboxes.get(entry.name)!;
      const [message] = await inbox.messages();
      expect(message).toBeDefined();
      const answers = await Promise.all(
        Object.keys(entry.needles).map(async (needle) => {
          const page = await getJson<MessagePage>(
            apiPaths.inboxMessages(inbox.address) + queryString({ text: needle }),
          );
          const sdk = await evaluateFilter(compileFilter({ text: needle }), message!);
          return [
            needle,
            { server: page.messages.some((summary) => summary.id === message!.id), sdk: sdk.matches },
          ];
        }),
      );
      const expected = Object.entries(entry.needles).map(([needle, found]) => [
        needle,
        { server: found, sdk: found },
      ]);
      expect(answers, `visibleText: ${JSON.stringify(message!.visibleText)}`).toEqual(expected);
    },
  );

  it('an HTML-only message saying Caf&eacute; is found by waitForMessage({ text: "café" }) (it used to time out)', async () => {
    const inbox = await server.mail.createInbox();
    const waiting = inbox.waitForMessage({ text: "café" }, { timeout: 3_000 });
    await server.send({
      envelope: { from: "noreply@app.test", to: [inbox.address] },
      raw: mime(inbox.address, {
        name: "Reservation",
        parts: [html("<p>Table booked at the Caf&eacute;.</p>")],
        needles: {},
      }),
    });
    const message = await waiting;
    expect(message.text).toBeNull();
    expect(message.visibleText).toBe("Table booked at the Café.");
  });
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${server.sandbox.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** The exact MIME of one case: a single part, or multipart/alternative with text first. */
function mime(to: string, entry: Case): Buffer {
  const head = `From: The App <noreply@app.test>\r\nTo: ${to}\r\nSubject: ${entry.name}\r\nMIME-Version: 1.0\r\n`;
  const partHeaders = (part: Part) =>
    `Content-Type: ${part.type}; charset=${part.charset}\r\nContent-Transfer-Encoding: ${part.encoding}\r\n\r\n`;
  const bytes = (value: string | Buffer) => (typeof value === "string" ? Buffer.from(value) : value);
  const [only] = entry.parts;
  if (entry.parts.length === 1 && only !== undefined) {
    return Buffer.concat([
      Buffer.from(head + partHeaders(only), "latin1"),
      bytes(only.body),
      Buffer.from("\r\n"),
    ]);
  }
  const boundary = "=_agreement_boundary";
  const chunks: Buffer[] = [
    Buffer.from(`${head}Content-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n`),
  ];
  for (const part of entry.parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${partHeaders(part)}`), bytes(part.body), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
