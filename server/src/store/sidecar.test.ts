import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { makeSnippet } from "./sidecar.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("makeSnippet", () => {
  it("collapses whitespace and cuts at 200 characters", () => {
    expect(makeSnippet("  Your code\r\n\r\n is\t123456  ")).toBe("Your code is 123456");
    expect(makeSnippet("x".repeat(500))).toBe("x".repeat(200));
  });

  it("keeps every code unit, a lone surrogate at the cut included", () => {
    const text = `${"a".repeat(199)}😀 after`;
    expect(makeSnippet(text)).toBe(text.slice(0, 200));
  });

  it("does not keep the text it was cut from alive", () => {
    // Without whitespace to collapse, a cut of a cut is a slice of the 1 MB text, which V8 would keep
    // whole for as long as the snippet lives: 40 of them held about 40 MB.
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const snippets = Array.from({ length: 40 }, (_, i) => makeSnippet(`${i}`.padEnd(1024 * 1024, "x")));
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;

    expect(snippets.every((snippet) => snippet.length === 200)).toBe(true);
    expect(retained).toBeLessThan(8 * 1024 * 1024);
  });
});
