import { describe, expect, it } from "vitest";
import { resolveWaitOptions, validateCount } from "./wait-options.js";

describe("wait options", () => {
  it("fall back to the client's default timeout", () => {
    expect(resolveWaitOptions(undefined, 10_000)).toEqual({ timeout: 10_000, signal: undefined });
    const signal = new AbortController().signal;
    expect(resolveWaitOptions({ timeout: 0, signal }, 10_000)).toEqual({ timeout: 0, signal });
  });

  it.each([
    [{ timeout: "5s" }, 'Expected timeout to be a number of milliseconds >= 0; got "5s"'],
    [{ timeout: Number.NaN }, "Expected timeout to be a number of milliseconds >= 0"],
    [{ signal: {} }, "Expected signal to be an AbortSignal; got {}"],
    [{ within: 100 }, 'Unknown option "within"; expected one of: timeout, signal'],
    [5000, "Expected options to be an object such as { timeout: 5000 }; got number 5000"],
  ])("reject %j with a TypeError saying what was expected", (options, expected) => {
    expect(() => resolveWaitOptions(options, 10_000)).toThrow(TypeError);
    expect(() => resolveWaitOptions(options, 10_000)).toThrow(expected);
  });

  it("accept only whole positive counts", () => {
    expect(validateCount(3)).toBe(3);
    for (const bad of [0, 1.5, -1, "2"]) {
      expect(() => validateCount(bad)).toThrow("Expected count to be a whole number of messages >= 1");
    }
  });
});
