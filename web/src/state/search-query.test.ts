import { describe, expect, it } from "vitest";
import { hasFilters, parseSearch } from "./search-query.js";

describe("parseSearch", () => {
  it("sends bare words to the field chosen beside the box", () => {
    expect(parseSearch("welcome back", "subject")).toEqual({ subject: "welcome back" });
    expect(parseSearch("pineapple", "text")).toEqual({ text: "pineapple" });
  });

  it('narrows with key:value and key:"quoted value"', () => {
    expect(parseSearch('from:alice to:"bob smith" invoice', "subject")).toEqual({
      from: "alice",
      to: "bob smith",
      subject: "invoice",
    });
  });

  it("treats body: as text: and has:attachment as the attachment filter", () => {
    expect(parseSearch("body:code has:attachment", "subject")).toEqual({ text: "code", hasAttachment: true });
  });

  it("keeps unknown keys as words, so a search for a time like 10:30 still works", () => {
    expect(parseSearch("meeting 10:30 foo:bar", "subject")).toEqual({ subject: "meeting 10:30 foo:bar" });
  });

  it("joins bare words with an explicit value for the same field", () => {
    expect(parseSearch("subject:order shipped", "subject")).toEqual({ subject: "order shipped" });
  });

  it("finds no filter in an empty or blank query", () => {
    expect(hasFilters(parseSearch("   ", "subject"))).toBe(false);
    expect(hasFilters(parseSearch("x", "from"))).toBe(true);
  });
});
