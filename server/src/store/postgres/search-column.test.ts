import { describe, expect, it } from "vitest";
import { matchesVisibleText } from "../match-query.js";
import { searchColumn, searchNeedle } from "./search-column.js";

/** What `strpos(search_text, needle) > 0 OR search_text IS NULL` answers, computed here. */
function passesSql(visibleText: string, textNeedle: string): boolean {
  const column = searchColumn(visibleText);
  const needle = searchNeedle(textNeedle);
  return needle === null || column === null || column.includes(needle);
}

describe("the search_text column", () => {
  const texts = [
    "Your code is 123456",
    "İstanbul ŞEHİR straße ΣΊΣΥΦΟΣ",
    "emoji 😀 inside",
    "with a NUL\u0000inside",
    "lone \ud800 surrogate",
    "replacement \ufffd char",
  ];
  const needles = ["code", "123", "i̇stanbul", "straße", "σίσυφος", "😀", "nul\u0000in", "\ufffd", "missing"];

  it("never rules out a message that matchesVisibleText would match", () => {
    for (const text of texts) {
      for (const raw of needles) {
        const needle = raw.toLowerCase();
        if (matchesVisibleText(needle, text)) expect(passesSql(text, needle), `${text} / ${raw}`).toBe(true);
      }
    }
  });

  it("holds NULL for text PostgreSQL cannot keep as it is, and the lowercased text otherwise", () => {
    expect(searchColumn("Hello World")).toBe("hello world");
    expect(searchColumn("a\u0000b")).toBeNull();
    expect(searchColumn("a\ud800b")).toBeNull();
    expect(searchColumn("a😀b")).toBe("a😀b");
    expect(searchNeedle("\ufffd")).toBeNull();
  });
});
