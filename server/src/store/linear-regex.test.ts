import { describe, expect, it } from "vitest";
import { compileLinearRegex, UnsupportedPatternError } from "./linear-regex.js";

describe("compileLinearRegex", () => {
  it("finds a match anywhere, like RegExp.prototype.test, with the i, m and s flags", () => {
    expect(compileLinearRegex("code \\d{6}", "").test("Your code 123456.")).toBe(true);
    expect(compileLinearRegex("^welcome", "i").test("Welcome aboard")).toBe(true);
    expect(compileLinearRegex("^line two$", "m").test("line one\nline two")).toBe(true);
    expect(compileLinearRegex("a.b", "s").test("a\nb")).toBe(true);
    expect(compileLinearRegex("a.b", "").test("a\nb")).toBe(false);
  });

  it("takes JavaScript's named groups", () => {
    expect(compileLinearRegex("(?<code>\\d{4})", "").test("pin 4821")).toBe(true);
  });

  it("refuses lookaround and backreferences with an error naming the pattern", () => {
    expect(() => compileLinearRegex("(?=a)b", "")).toThrow(UnsupportedPatternError);
    expect(() => compileLinearRegex("(a)\\1", "")).toThrow(/\(a\)\\1/);
  });

  it("refuses escapes whose JavaScript meaning RE2 would change silently: \\k, and \\p without u", () => {
    expect(() => compileLinearRegex("(?<x>a)\\k<x>", "")).toThrow(/named backreferences/);
    expect(() => compileLinearRegex("a\\k", "")).toThrow(UnsupportedPatternError);
    expect(() => compileLinearRegex("\\p{L}", "")).toThrow(/only with the u flag/);
    expect(compileLinearRegex("\\p{L}", "u").test("é")).toBe(true);
    // An escaped backslash before k is a backslash and a k, which RE2 reads the same way.
    expect(compileLinearRegex("a\\\\k", "").test("a\\k")).toBe(true);
  });

  it("runs a pattern that is catastrophic for a backtracking engine in linear time", () => {
    // A backtracking engine needs about 2^5000 steps here and would never return (the test would
    // hit its timeout); RE2 answers at once.
    expect(compileLinearRegex("(a+)+$", "").test(`${"a".repeat(5000)}b`)).toBe(false);
  });
});
