import { describe, expect, it } from "vitest";
import { htmlToText } from "./html-to-text.js";

describe("htmlToText", () => {
  it("joins inline elements without a space and separates block elements", () => {
    expect(htmlToText("<p>su<b>mm</b>er</p><p>sale</p><table><tr><td>a</td><td>b</td></tr></table>")).toBe(
      "summer\nsale\na\nb",
    );
  });

  it("keeps the readable text, breaks lines at blocks and decodes entities", () => {
    const html =
      "<html><head><title>T</title><style>p{color:red}</style></head><body><!-- tracking 123456 -->" +
      "<h1>Hi&nbsp;Ada</h1><p>Tom &amp; Jerry&#39;s <b>code</b>: 4&#x32;1</p><script>var x=1</script></body></html>";
    expect(htmlToText(html)).toBe("Hi Ada\nTom & Jerry's code: 421");
  });
});
