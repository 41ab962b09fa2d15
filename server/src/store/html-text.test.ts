import { describe, expect, it } from "vitest";
import { htmlToText, makeSnippet } from "./html-text.js";

describe("htmlToText", () => {
  it("keeps visible text with entities decoded and whitespace collapsed", () => {
    expect(htmlToText("<p>Fish &amp;\n   chips</p>")).toBe("Fish & chips");
  });

  it("separates blocks but not inline elements", () => {
    expect(htmlToText("<p>one</p><p>two</p><div>th<b>re</b>e<br>four</div>")).toBe("one two three four");
  });

  it("leaves out scripts, styles and the head", () => {
    expect(
      htmlToText("<head><title>T</title><style>p{}</style></head><body>shown<script>x()</script></body>"),
    ).toBe("shown");
  });
});

describe("makeSnippet", () => {
  it("prefers the text body and cuts at 200 characters", () => {
    expect(makeSnippet(`  a\n\nb ${"x".repeat(300)}`, "<p>html</p>")).toBe(`a b ${"x".repeat(196)}`);
  });

  it("falls back to the HTML's visible text, and to empty", () => {
    expect(makeSnippet(null, "<p>Hello <i>there</i></p>")).toBe("Hello there");
    expect(makeSnippet(null, null)).toBe("");
  });
});
