import { describe, expect, it } from "vitest";
import { extractHtmlLinks } from "./extract-links.js";
import { htmlToText, visibleText } from "./visible-text.js";

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

describe("visibleText", () => {
  it("is the text part when there is no HTML", () => {
    expect(visibleText("Your code\n1234", null)).toBe("Your code\n1234");
  });

  it("is the HTML's text when there is no text part", () => {
    expect(visibleText(null, "<p>Caf&eacute; &#233; &#xE9;</p><!-- hidden --><script>x()</script>")).toBe(
      "Café é é",
    );
  });

  it("keeps both, text first, when both exist", () => {
    expect(visibleText("View this email in your browser", "<p>Code <b>1234</b></p>")).toBe(
      "View this email in your browser\n\nCode 1234",
    );
  });

  it("is empty for a message with neither", () => {
    expect(visibleText(null, null)).toBe("");
  });
});

describe("htmlToText and extractHtmlLinks on hostile nesting", () => {
  it("read 200,000 unclosed elements in linear time (htmlparser2's open-element stack is bounded)", {
    timeout: 10_000,
  }, () => {
    // 1.6 MB of unclosed <div> held the event loop 57 s at ingest before the bound.
    const deep = `${"<div>".repeat(200_000)}<a href="https://example.test/deep">deep</a>end`;
    expect(htmlToText(deep)).toBe("deepend");
    expect(extractHtmlLinks(deep)).toEqual([
      { href: "https://example.test/deep", text: "deep", source: "html" },
    ]);
    expect(htmlToText(`${"<svg>".repeat(100_000)}x`)).toBe("x");
    expect(htmlToText(`${"<span>".repeat(100_000)}${"</div>".repeat(100_000)}y`)).toBe("y");
  });
});
