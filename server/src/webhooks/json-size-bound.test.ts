import { describe, expect, it } from "vitest";
import { seededRandom } from "../test-support/seeded-random.js";
import { jsonBytesAtMost } from "./json-size-bound.js";

/** Strings that JSON makes longest: control characters, quotes, backslashes, lone surrogates, emoji. */
const ALPHABET = ["a", "\u0000", "\u001f", '"', "\\", "\n", "é", "€", "\ud800", "\udfff", "😀", "\u2028"];

function generate(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return Array.from(
        { length: Math.floor(random() * 40) },
        () => ALPHABET[Math.floor(random() * ALPHABET.length)],
      ).join("");
    case 1:
      return [-1.7976931348623157e308, 5e-324, -0, Number.NaN, 1 / 3, 123456789012345680000][
        Math.floor(random() * 6)
      ];
    case 2:
      return random() < 0.5;
    case 3:
      return null;
    case 4:
      return random() < 0.5 ? undefined : new Date(Math.floor(random() * 4e12));
    case 5:
    case 6:
      return Array.from({ length: Math.floor(random() * 5) }, () => generate(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, (_, index) => [
          `${ALPHABET[Math.floor(random() * ALPHABET.length)]}${index}`,
          generate(random, depth + 1),
        ]),
      );
  }
}

describe("jsonBytesAtMost", () => {
  it("is never below the UTF-8 size of JSON.stringify, over 5,000 generated values", () => {
    const random = seededRandom(15);
    for (let round = 0; round < 5_000; round++) {
      const value = generate(random, 0);
      const exact = Buffer.byteLength(JSON.stringify(value) ?? "");
      expect(jsonBytesAtMost(value), JSON.stringify(value)).toBeGreaterThanOrEqual(exact);
    }
  });

  it("is reached by the worst string and the longest number", () => {
    expect(jsonBytesAtMost("\u0000\u0001")).toBe(Buffer.byteLength(JSON.stringify("\u0000\u0001")));
    expect(jsonBytesAtMost(-1.7976931348623157e308)).toBe(JSON.stringify(-1.7976931348623157e308).length);
  });

  it("stays within a few times the exact size for a summary-like object", () => {
    const summary = {
      id: "01jabcdefghjkmnpqrstvwxyz0",
      subject: "Your code is 314159",
      to: [{ name: "", address: "a@b.test" }],
    };
    const exact = Buffer.byteLength(JSON.stringify(summary));
    expect(jsonBytesAtMost(summary)).toBeLessThan(7 * exact);
  });
});
