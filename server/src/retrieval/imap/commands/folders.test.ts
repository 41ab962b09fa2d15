import { describe, expect, it } from "vitest";
import { listMatcher } from "./folders.js";

describe("listMatcher (RFC 3501 section 6.3.8)", () => {
  it('"*" matches across the delimiter, "%" within one level, and INBOX in any case', () => {
    const names = ["INBOX", "ada@mailnest.test", "a/b@mailnest.test", "bob@example.test"];
    const matching = (pattern: string) => names.filter(listMatcher(pattern));
    expect(matching("*")).toEqual(names);
    expect(matching("%")).toEqual(["INBOX", "ada@mailnest.test", "bob@example.test"]);
    expect(matching("a/%")).toEqual(["a/b@mailnest.test"]);
    expect(matching("inbox")).toEqual(["INBOX"]);
    expect(matching("ADA@*")).toEqual([]);
    expect(matching("*@mailnest.test")).toEqual(["ada@mailnest.test", "a/b@mailnest.test"]);
    expect(matching("%%b%")).toEqual(["INBOX", "bob@example.test"]);
    expect(matching("a.a*")).toEqual([]);
    expect(matching("")).toEqual([]);
  });

  it("stays linear in the wildcards: a pattern of 200 alternating wildcards against a long name", () => {
    const name = `${"a".repeat(300)}@mailnest.test`;
    expect(listMatcher(`${"*%".repeat(100)}x`)(name)).toBe(false);
    expect(listMatcher(`${"%*".repeat(100)}t`)(name)).toBe(true);
    expect(listMatcher(`${"a%".repeat(300)}@mailnest.test`)(name)).toBe(true);
  });
});
