import { describe, expect, it } from "vitest";
import { collapseWhitespace, htmlTextOf, joinVisibleText } from "./visible-text.js";

describe("visible text", () => {
  it("joins the text part and the HTML's text, and takes them apart again", () => {
    const text = "View this email in your browser";
    const visibleText = joinVisibleText(text, "Your code 482913");
    expect(visibleText).toBe("View this email in your browser\n\nYour code 482913");
    expect(htmlTextOf({ text, html: "<p>Your code 482913</p>", visibleText })).toBe("Your code 482913");
  });

  it("is the text alone, or the HTML's text alone, when there is only one", () => {
    expect(joinVisibleText("plain", null)).toBe("plain");
    expect(joinVisibleText(null, "from html")).toBe("from html");
    expect(joinVisibleText(null, null)).toBe("");
    expect(htmlTextOf({ text: null, html: "<p>from html</p>", visibleText: "from html" })).toBe("from html");
    expect(htmlTextOf({ text: "plain", html: null, visibleText: "plain" })).toBeNull();
  });

  it("an HTML part without visible text adds nothing", () => {
    expect(joinVisibleText("plain", "")).toBe("plain");
    expect(htmlTextOf({ text: "plain", html: "<img src=x>", visibleText: "plain" })).toBe("");
  });

  it("collapses every run of whitespace to one space and trims, as replacing each run would", () => {
    const inputs = [
      "plain words with single spaces",
      "  leading and trailing  ",
      "tabs\tand\r\nline breaks\n\n\nand  doubles",
      "no-break\u00a0space, ideographic\u3000space, BOM\ufeffand line separator\u2028here",
      " \t\r\n ",
      "",
      "x",
      "a \u00a0 b",
    ];
    for (const input of inputs) {
      expect(collapseWhitespace(input)).toBe(input.replace(/\s+/g, " ").trim());
    }
    expect(collapseWhitespace("Hello,\r\n\r\n  your code\tis\u00a0482913 ")).toBe(
      "Hello, your code is 482913",
    );
  });
});
