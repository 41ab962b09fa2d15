import { describe, expect, it } from "vitest";
import { splitRawSource } from "./raw-source.js";

describe("splitRawSource", () => {
  it("splits header fields, keeping folded lines with their field, from the body", () => {
    const raw = "From: a@example.test\r\nSubject: a long\r\n  folded subject\r\nX-Empty:\r\n\r\nHello\r\n";
    const { headers, body } = splitRawSource(raw);
    expect(headers).toEqual([
      { name: "From", value: " a@example.test\r\n" },
      { name: "Subject", value: " a long\r\n  folded subject\r\n" },
      { name: "X-Empty", value: "\r\n" },
    ]);
    expect(body).toBe("\r\nHello\r\n");
  });

  it("reassembles to exactly the input", () => {
    const raw = "A: 1\nB: 2\n\tcontinued\n\nbody: not a header\n";
    const { headers, body } = splitRawSource(raw);
    expect(headers.map((header) => `${header.name}:${header.value}`).join("") + body).toBe(raw);
  });

  it("treats text without a header block as body", () => {
    expect(splitRawSource("just text\nmore")).toEqual({ headers: [], body: "just text\nmore" });
  });
});
