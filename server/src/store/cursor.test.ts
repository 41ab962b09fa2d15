import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { InvalidCursorError } from "./errors.js";

describe("cursors", () => {
  it("round-trip a sequence", () => {
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
  });

  it.each(["", "0", "-3", "1.5", "abc", "1e3", " 7", "99999999999999999"])("reject %j", (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });
});
