import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../test-support/seeded-random.js";
import { fasterHeaderParser, type HeaderParser, upstreamHeaderParser } from "./mailauth-header-parser.js";
import { dkimVerify } from "./mailauth-parts.js";

const require = createRequire(import.meta.url);
/** mailauth's own parser: the module's export, which Mailnest leaves as it is (it replaces tools'). */
const upstream = require("mailauth/lib/parse-dkim-headers.js") as HeaderParser;
const tools = require("mailauth/lib/tools.js") as { parseDkimHeaders: HeaderParser };

const NAMES = [
  "DKIM-Signature:",
  "ARC-Seal:",
  "ARC-Message-Signature:",
  "DNS: TXT;",
  "X-Other:",
  "",
  " dkim-signature :",
];
/** Tags, the state machine's special characters, whitespace of every kind, and now and then a backslash. */
const PIECES = [
  "v=1",
  "a=rsa-sha256",
  "b=abc def\r\n ghi",
  "bh=x y",
  "i=3",
  "i=x",
  "l=12",
  "t=",
  "x=1e3",
  "h=from : to",
  "p=MIIB AQAB",
  "d=example.test",
  ";",
  "; ",
  "=",
  "(",
  ")",
  "(comment; a=b)",
  '"',
  "'",
  '"q;(x)"',
  "k",
  "K=V",
  " ",
  "\t",
  "\r\n\t",
  "__proto__=1",
  "constructor=2",
  "\\",
];

function field(next: () => number): string {
  let text = NAMES[Math.floor(next() * NAMES.length)] ?? "";
  const count = Math.floor(next() * 14);
  for (let index = 0; index < count; index += 1) text += PIECES[Math.floor(next() * PIECES.length)];
  return text;
}

describe("mailauth's tag=value header parser, appending runs of characters", () => {
  const ours = fasterHeaderParser(upstream);

  it("gives upstream's result for generated fields (keys, values, comments, quotes, whitespace)", () => {
    const next = seededRandom(4);
    for (let attempt = 0; attempt < 5_000; attempt += 1) {
      const text = field(next);
      const input = next() < 0.5 ? Buffer.from(text) : text;
      const expected = upstream(input);
      const actual = ours(input);
      // Key order matters to whoever serializes the result, so compare the JSON too.
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        expect({ text, actual }).toEqual({ text, actual: expected });
      expect(actual.parsed).toEqual(expected.parsed);
      expect(actual.original).toBe(input);
    }
  });

  it("gives upstream's result for a real DKIM-Signature and a key record", () => {
    for (const text of [
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=bench.localhost;\r\n q=dns/txt; s=bench; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n h=from:subject:message-id:date:mime-version:content-type;\r\n b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==",
      "DNS: TXT;v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx",
    ]) {
      expect(JSON.stringify(ours(text))).toBe(JSON.stringify(upstream(text)));
    }
  });

  it("reads a field of 300,000 empty tags in linear time, as upstream reads a small one", {
    timeout: 10_000,
  }, () => {
    // Upstream's splice per empty tag made this quadratic: 200 KB took 4.4 s of the verification thread.
    const hostile = `DKIM-Signature: ${";".repeat(300_000)}${"x=1;".repeat(50_000)}v=1`;
    const parsed = ours(hostile).parsed as Record<string, { value: unknown }>;
    expect(parsed.v?.value).toBe(1);
    expect(parsed.x?.value).toBe(1);
    const small = `DKIM-Signature: ${";".repeat(30)}${"x=1;".repeat(5)}v=1`;
    expect(JSON.stringify(ours(small))).toBe(JSON.stringify(upstream(small)));
  });

  it("is what mailauth's DKIM verifier and ARC read, installed once", async () => {
    await dkimVerify(Buffer.from("From: a@example.test\r\n\r\nHi\r\n"), {
      resolver: async () => {
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    });
    expect(upstreamHeaderParser(tools.parseDkimHeaders)).toBe(upstream);
    expect(fasterHeaderParser(tools.parseDkimHeaders)).toBe(tools.parseDkimHeaders);
  });
});
