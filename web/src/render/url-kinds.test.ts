import { describe, expect, it } from "vitest";
import { contentIdOfCidUrl, cssUrls, isRemoteUrl, isSafeLinkHref, replaceCssCidUrls } from "./url-kinds.js";

describe("url kinds", () => {
  it("lets only http(s), mailto and tel links be followed", () => {
    expect(isSafeLinkHref("https://example.test/")).toBe(true);
    expect(isSafeLinkHref("mailto:a@example.test")).toBe(true);
    expect(isSafeLinkHref(" JavaScript:alert(1)")).toBe(false);
    expect(isSafeLinkHref("data:text/html,x")).toBe(false);
    expect(isSafeLinkHref("/api/messages")).toBe(false);
  });

  it("counts protocol-relative URLs as remote", () => {
    expect(isRemoteUrl("//tracker.example/p.gif")).toBe(true);
    expect(isRemoteUrl("HTTP://tracker.example/p.gif")).toBe(true);
    expect(isRemoteUrl("data:image/png;base64,AA")).toBe(false);
    expect(isRemoteUrl("cid:logo")).toBe(false);
  });

  it("decodes cid: URLs (RFC 2392) for case-insensitive lookup", () => {
    expect(contentIdOfCidUrl("cid:Logo%40Shop.test")).toBe("logo@shop.test");
  });

  it("finds url() and @import references in CSS and rewrites cid: ones", () => {
    const css = `@import "https://x.example/a.css"; a { background: url('cid:bg@x') } b { background: url(https://x.example/b.png) }`;
    expect(cssUrls(css)).toEqual(["https://x.example/a.css", "cid:bg@x", "https://x.example/b.png"]);
    expect(
      replaceCssCidUrls(css, (id) => (id === "bg@x" ? "data:image/png;base64,AA" : undefined)),
    ).toContain('url("data:image/png;base64,AA")');
  });
});
