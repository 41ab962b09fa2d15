import { describe, expect, it } from "vitest";
import { parseAddressList } from "./address-list.js";
import { readHeaderBlock } from "./header-block.js";
import { parseContentType } from "./header-params.js";
import { countLines, parseMimeTree, splitMultipart } from "./mime-tree.js";

describe("address lists (RFC 5322 section 3.4)", () => {
  it("reads names, quoted local parts, comments, routes and groups as written", () => {
    expect(
      parseAddressList(
        '"Doe, J." <"john doe"@x.test>, (Ann) ann@y.test, Team: b@z.test;, =?utf-8?q?R=C3=A9?= <r@x>',
      ),
    ).toEqual([
      { kind: "mailbox", name: "Doe, J.", route: null, mailbox: '"john doe"', host: "x.test" },
      { kind: "mailbox", name: "Ann", route: null, mailbox: "ann", host: "y.test" },
      { kind: "group-start", name: "Team" },
      { kind: "mailbox", name: null, route: null, mailbox: "b", host: "z.test" },
      { kind: "group-end" },
      { kind: "mailbox", name: "=?utf-8?q?R=C3=A9?=", route: null, mailbox: "r", host: "x" },
    ]);
    expect(parseAddressList("John Q. Public <jqp@[127.0.0.1]>")).toEqual([
      { kind: "mailbox", name: "John Q. Public", route: null, mailbox: "jqp", host: "[127.0.0.1]" },
    ]);
    expect(parseAddressList("<>, ,")).toEqual([]);
  });
});

describe("header blocks and multipart bodies", () => {
  it("unfolds fields and finds the body after a CRLF or bare-LF empty line", () => {
    const raw = Buffer.from("A: 1\r\nB-Long: x\r\n\ty\r\nnot a field\r\n\r\nbody");
    const block = readHeaderBlock(raw, 0, raw.length);
    expect(block.fields.map((field) => [field.name, field.value])).toEqual([
      ["A", "1"],
      ["B-Long", "x\ty"],
    ]);
    expect(raw.subarray(block.bodyStart).toString()).toBe("body");
    const lf = Buffer.from("A: 1\n\nbody");
    expect(readHeaderBlock(lf, 0, lf.length).bodyStart).toBe(6);
  });

  it("keeps the fields a description reads when they come after the field cap, the first of each only", () => {
    const filler = Array.from({ length: 2_500 }, (_, n) => `X-Filler-${n}: v\r\n`).join("");
    const raw = Buffer.from(
      `${filler}Subject: late\r\nContent-Type: multipart/mixed; boundary=b\r\nX-After: dropped\r\n` +
        "Content-Type: text/html\r\nSubject: second\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b--\r\n",
    );
    const block = readHeaderBlock(raw, 0, raw.length);
    expect(block.fields).toHaveLength(2_002);
    expect(block.fields.slice(2_000).map((field) => [field.key, field.value])).toEqual([
      ["subject", "late"],
      ["content-type", "multipart/mixed; boundary=b"],
    ]);
    const tree = parseMimeTree(raw);
    expect([tree.contentType.type, tree.contentType.subtype]).toEqual(["multipart", "mixed"]);
    expect(tree.children.map((part) => part.contentType.subtype)).toEqual(["plain"]);
  });

  it("splits at delimiters with transport padding, not at look-alikes", () => {
    const body = Buffer.from("pre\r\n--b \r\none\r\n--bb\r\nstill one\r\n--b\r\ntwo\r\n--b--  \r\nepilogue");
    const parts = splitMultipart(body, 0, body.length, "b").map(({ start, end }) =>
      body.toString("latin1", start, end),
    );
    expect(parts).toEqual(["one\r\n--bb\r\nstill one", "two"]);
    expect(countLines(Buffer.from("a\r\nb"), 0, 4)).toBe(2);
    expect(countLines(Buffer.from("a\r\n"), 0, 3)).toBe(1);
  });

  it("defaults Content-Type as RFC 2045 says and keeps parameters as written", () => {
    expect(parseContentType(undefined, "text/plain")).toEqual({
      type: "text",
      subtype: "plain",
      params: [["charset", "US-ASCII"]],
    });
    expect(parseContentType('Text/HTML (comment); Charset="utf-8"; name*0*=x', "text/plain")).toEqual({
      type: "text",
      subtype: "html",
      params: [
        ["Charset", "utf-8"],
        ["name*0*", "x"],
      ],
    });
    expect(parseContentType("garbage", "message/rfc822").type).toBe("message");
  });
});
