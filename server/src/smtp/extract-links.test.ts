import { describe, expect, it } from "vitest";
import { extractHtmlLinks, extractLinks, extractTextLinks } from "./extract-links.js";

describe("extractHtmlLinks", () => {
  it("finds anchors with their text, decoding entities in href and text", () => {
    const html = `<p>Hi <a href="https://app.test/verify?token=abc&amp;user=7">Verify &amp; go</a></p>`;
    expect(extractHtmlLinks(html)).toEqual([
      { href: "https://app.test/verify?token=abc&user=7", text: "Verify & go", source: "html" },
    ]);
  });

  it("takes text from nested tags and collapses whitespace", () => {
    const html = `<a href="https://x.test/a">\n  <span>Reset</span>\n  <b>your   password</b></a>`;
    expect(extractHtmlLinks(html)).toEqual([
      { href: "https://x.test/a", text: "Reset your password", source: "html" },
    ]);
  });

  it("reads uppercase tags and attributes", () => {
    expect(extractHtmlLinks(`<A HREF="https://x.test/UP">Up</A>`)).toEqual([
      { href: "https://x.test/UP", text: "Up", source: "html" },
    ]);
  });

  it("keeps mailto: and relative hrefs, and skips anchors without an href", () => {
    const html = `<a name="top">top</a><a href="mailto:help@x.test">Mail us</a><a href=" /path ">rel</a><a href="">e</a>`;
    expect(extractHtmlLinks(html)).toEqual([
      { href: "mailto:help@x.test", text: "Mail us", source: "html" },
      { href: "/path", text: "rel", source: "html" },
    ]);
  });

  it("lists an image-only anchor with empty text", () => {
    expect(extractHtmlLinks(`<a href="https://x.test/i"><img src="cid:logo"></a>`)).toEqual([
      { href: "https://x.test/i", text: "", source: "html" },
    ]);
  });

  it("lists the same href and text once, but keeps the same href with another text", () => {
    const html = `<a href="https://x.test/v">Verify</a><a href="https://x.test/v">Verify</a><a href="https://x.test/v">https://x.test/v</a>`;
    expect(extractHtmlLinks(html).map((link) => link.text)).toEqual(["Verify", "https://x.test/v"]);
  });

  it("attributes text to the innermost anchor when anchors are (illegally) nested", () => {
    const links = extractHtmlLinks(
      `<a href="https://x.test/outer">out <a href="https://x.test/inner">in</a></a>`,
    );
    expect(links).toContainEqual({ href: "https://x.test/inner", text: "in", source: "html" });
  });

  it("closes an anchor left open at the end of the document", () => {
    expect(extractHtmlLinks(`<a href="https://x.test/open">dangling`)).toEqual([
      { href: "https://x.test/open", text: "dangling", source: "html" },
    ]);
  });
});

describe("extractTextLinks", () => {
  it("leaves trailing punctuation out of links", () => {
    const text = "Verify at https://app.test/verify?t=1. Or (see https://app.test/help), thanks!";
    expect(extractTextLinks(text).map((link) => link.href)).toEqual([
      "https://app.test/verify?t=1",
      "https://app.test/help",
    ]);
  });

  it("turns e-mail addresses and mailto: into mailto links", () => {
    expect(extractTextLinks("Write to help@x.test or mailto:ops@x.test")).toEqual([
      { href: "mailto:help@x.test", text: "help@x.test", source: "text" },
      { href: "mailto:ops@x.test", text: "mailto:ops@x.test", source: "text" },
    ]);
  });

  it("finds www. hosts without a scheme but not file names that look like domains", () => {
    expect(
      extractTextLinks("Open www.example.com and read readme.md or notes.pl").map((l) => l.href),
    ).toEqual(["http://www.example.com"]);
  });

  it("finds links whose markers are uppercase (the quick pre-check ignores case)", () => {
    expect(
      extractTextLinks("Go to WWW.APP.TEST or HTTPS://APP.TEST/X, or write MAILTO:HELP@APP.TEST").map(
        (link) => link.text,
      ),
    ).toEqual(["WWW.APP.TEST", "HTTPS://APP.TEST/X", "MAILTO:HELP@APP.TEST"]);
  });

  it("lists a repeated link once", () => {
    expect(extractTextLinks("https://x.test/a and again https://x.test/a")).toHaveLength(1);
  });
});

describe("extractLinks", () => {
  it("returns HTML links then text links, each marked with its source", () => {
    const links = extractLinks({ html: `<a href="https://x.test/h">H</a>`, text: "see https://x.test/h" });
    expect(links).toEqual([
      { href: "https://x.test/h", text: "H", source: "html" },
      { href: "https://x.test/h", text: "https://x.test/h", source: "text" },
    ]);
  });

  it("returns nothing for a message without bodies", () => {
    expect(extractLinks({ html: null, text: null })).toEqual([]);
  });
});
