import { describe, expect, it } from "vitest";
import { normalizeAddress } from "./address.js";

describe("normalizeAddress", () => {
  it("lowercases the domain and the local part so Foo@X and foo@x share an inbox", () => {
    expect(normalizeAddress("Foo.Bar@Example.COM")).toBe("foo.bar@example.com");
    expect(normalizeAddress("foo.bar@example.com")).toBe(normalizeAddress("FOO.BAR@EXAMPLE.com"));
  });

  it("keeps the +tag so tagged addresses are separate inboxes", () => {
    expect(normalizeAddress("user+test1@x.test")).toBe("user+test1@x.test");
    expect(normalizeAddress("user+test1@x.test")).not.toBe(normalizeAddress("user+test2@x.test"));
    expect(normalizeAddress("User+Tag@X.test")).toBe("user+tag@x.test");
  });

  it("strips surrounding whitespace and angle brackets", () => {
    expect(normalizeAddress("  <Ada@Example.org>  ")).toBe("ada@example.org");
    expect(normalizeAddress("< ada@example.org >")).toBe("ada@example.org");
  });

  it("turns an internationalized domain into punycode, matching its ASCII spelling", () => {
    expect(normalizeAddress("user@Bücher.Example")).toBe("user@xn--bcher-kva.example");
    expect(normalizeAddress("user@xn--bcher-kva.example")).toBe("user@xn--bcher-kva.example");
  });

  it("keeps a UTF-8 local part, lowercased and NFC-normalized", () => {
    expect(normalizeAddress("ÄNDERUNG@example.com")).toBe("änderung@example.com");
    // "e" + combining acute (NFD) and the precomposed "é" (NFC) are one inbox.
    expect(normalizeAddress("cafe\u0301@example.com")).toBe(normalizeAddress("café@example.com"));
  });

  it("splits at the last @ so a quoted local part containing @ survives", () => {
    expect(normalizeAddress('"a@b"@Example.com')).toBe('"a@b"@example.com');
  });

  it("lowercases address literals without converting them", () => {
    expect(normalizeAddress("root@[IPv6:::1]")).toBe("root@[ipv6:::1]");
  });

  it("trims and lowercases an address without a domain", () => {
    expect(normalizeAddress(" PostMaster ")).toBe("postmaster");
  });

  it("writes a quoted local part one way: unquoted when it is a plain dot-string, else minimally escaped", () => {
    expect(normalizeAddress('"John Doe"@Example.TEST')).toBe('"john doe"@example.test');
    expect(normalizeAddress('"john"@example.test')).toBe("john@example.test");
    expect(normalizeAddress('"j\\ohn.doe"@example.test')).toBe("john.doe@example.test");
    expect(normalizeAddress('"a\\"b"@x.test')).toBe('"a\\"b"@x.test');
    expect(normalizeAddress('"a\\\\b"@x.test')).toBe('"a\\\\b"@x.test');
    expect(normalizeAddress('"a..b"@x.test')).toBe('"a..b"@x.test');
    expect(normalizeAddress('"ann@home"@x.test')).toBe('"ann@home"@x.test');
    expect(normalizeAddress('"Jörg Ä"@x.test')).toBe('"jörg ä"@x.test');
    expect(normalizeAddress('"jörg"@x.test')).toBe("jörg@x.test");
    // Not a quoted string (the quote is escaped or unbalanced): kept as it came, lowercased.
    expect(normalizeAddress('"a"b@x.test')).toBe('"a"b@x.test');
  });
});
