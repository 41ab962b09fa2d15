import { describe, expect, it } from "vitest";
import { ArgumentReader } from "./argument-reader.js";
import { CommandReader } from "./command-reader.js";
import { CommandSyntaxError, tokenize } from "./command-tokens.js";
import { parseFetchItems } from "./fetch-attributes.js";
import { parseSearch } from "./search-program.js";
import { parseSequenceSet, resolveSequenceNumbers, resolveUids } from "./sequence-set.js";

const limits = { maxLineBytes: 100, maxLiteralBytes: 50, maxCommandBytes: 200 };
const args = (line: string) => new ArgumentReader(tokenize([{ line }], 0));

describe("CommandReader (RFC 3501 section 4.3 literals, RFC 7888 LITERAL+)", () => {
  it("assembles a command from lines and literals that arrive in pieces", () => {
    const reader = new CommandReader(limits);
    expect(reader.push(Buffer.from("a LOGIN {3}\r"))).toEqual([]);
    expect(reader.push(Buffer.from("\nb"))).toEqual([{ kind: "continue" }]);
    expect(reader.push(Buffer.from("ob {0+}\r\n {2}\r\n"))).toEqual([{ kind: "continue" }]);
    expect(reader.push(Buffer.from("pw\r\nb NOOP\n"))).toEqual([
      {
        kind: "command",
        parts: [
          { line: "a LOGIN {3}" },
          { literal: Buffer.from("bob") },
          { line: " {0+}" },
          { literal: Buffer.alloc(0) },
          { line: " {2}" },
          { literal: Buffer.from("pw") },
          { line: "" },
        ],
      },
      { kind: "command", parts: [{ line: "b NOOP" }] },
    ]);
  });

  it("refuses oversized literals from the announcement and whole commands over the cap", () => {
    const reader = new CommandReader(limits);
    expect(reader.push(Buffer.from("t SEARCH TEXT {51}\r\n"))).toEqual([
      {
        kind: "refused",
        tag: "t",
        reason: "literal of 51 bytes is larger than 50",
        code: "TOOBIG",
        fatal: false,
      },
    ]);
    expect(reader.push(Buffer.from("u SEARCH TEXT {51+}\r\nxxxxx"))).toEqual([
      {
        kind: "refused",
        tag: "u",
        reason: "literal of 51 bytes is larger than 50",
        code: "TOOBIG",
        fatal: true,
      },
    ]);
    const fresh = new CommandReader(limits);
    const events = fresh.push(Buffer.from(`v X {40+}\r\n${`${"y".repeat(40)} {40+}\r\n`.repeat(5)}`));
    expect(events.at(-1)).toMatchObject({ kind: "refused", tag: "v", code: "TOOBIG" });
  });
});

describe("tokens and arguments", () => {
  it("keeps bracketed sections whole and reads quoted strings and lists", () => {
    expect(
      tokenize([{ line: 'FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM "TO")]<0.10> UID) "q\\"x"' }], 0),
    ).toEqual([
      { kind: "atom", text: "FETCH" },
      { kind: "atom", text: "1:*" },
      {
        kind: "list",
        items: [
          { kind: "atom", text: 'BODY.PEEK[HEADER.FIELDS (FROM "TO")]<0.10>' },
          { kind: "atom", text: "UID" },
        ],
      },
      { kind: "string", bytes: Buffer.from('q"x'), literal: false },
    ]);
    expect(() => tokenize([{ line: '"bad \\n escape"' }], 0)).toThrow(CommandSyntaxError);
    expect(() => tokenize([{ line: "((((((((((((((((((x))))))))))))))))))" }], 0)).toThrow(
      "nested too deeply",
    );
  });

  it("parses FETCH items and SEARCH programs into what the handlers run", () => {
    expect(parseFetchItems(args("FAST"))).toEqual([
      { kind: "FLAGS" },
      { kind: "INTERNALDATE" },
      { kind: "RFC822.SIZE" },
    ]);
    expect(parseFetchItems(args('(BODY[1.2.HEADER.FIELDS.NOT ("X-A" b)]<5.7>)'))).toEqual([
      {
        kind: "section",
        peek: false,
        section: { parts: [1, 2], text: "HEADER.FIELDS.NOT", fields: ["X-A", "b"] },
        label: '1.2.HEADER.FIELDS.NOT ("X-A" b)',
        partial: { origin: 5, count: 7 },
      },
    ]);
    expect(parseSearch(args("CHARSET utf-8 OR (FROM a UNSEEN) NOT 2:4 UID 9:*")).key).toEqual({
      op: "and",
      keys: [
        {
          op: "or",
          left: {
            op: "and",
            keys: [
              { op: "text", field: "from", value: "a" },
              { op: "flag", flag: "\\Seen", set: false },
            ],
          },
          right: { op: "not", key: { op: "seq", set: [{ from: 2, to: 4 }] } },
        },
        { op: "uid", set: [{ from: 9, to: "*" }] },
      ],
    });
  });

  it("resolves sequence sets the way RFC 3501 reads them", () => {
    expect(resolveSequenceNumbers(parseSequenceSet("3:1,5,*"), 6)).toEqual([1, 2, 3, 5, 6]);
    expect(resolveSequenceNumbers(parseSequenceSet("1:*"), 0)).toEqual([]);
    expect(() => resolveSequenceNumbers(parseSequenceSet("7"), 6)).toThrow("no message 7");
    expect(() => parseSequenceSet("1:2:3")).toThrow(CommandSyntaxError);
    const uids = [2, 5, 9];
    const view = {
      size: uids.length,
      highestUid: 9,
      at: (seq: number) => (uids[seq - 1] === undefined ? undefined : { uid: uids[seq - 1]! }),
      indexOfUid: (uid: number) => uids.filter((candidate) => candidate < uid).length,
    };
    expect(resolveUids(parseSequenceSet("3:6"), view)).toEqual([1]);
    // "n:*" with n past the last UID still names the last message (section 6.4.8).
    expect(resolveUids(parseSequenceSet("20:*"), view)).toEqual([2]);
  });
});
