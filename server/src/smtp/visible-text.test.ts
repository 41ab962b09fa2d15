import { describe, expect, it } from "vitest";
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
