import { describe, expect, it } from "vitest";
import { formatSize, senderLabel } from "./format.js";

describe("format", () => {
  it("formats sizes like a file manager", () => {
    expect(formatSize(70)).toBe("70 B");
    expect(formatSize(2048)).toBe("2 KB");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(25 * 1024 * 1024)).toBe("25 MB");
  });

  it("labels a sender by display name, then address, then envelope sender", () => {
    expect(senderLabel([{ name: "Ada", address: "ada@example.test" }], "bounce@x")).toBe("Ada");
    expect(senderLabel([{ name: "", address: "ada@example.test" }], "bounce@x")).toBe("ada@example.test");
    expect(senderLabel([], "bounce@x")).toBe("bounce@x");
    expect(senderLabel([], "")).toBe("(no sender)");
  });
});
