import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { emptyParsedView } from "./empty-parsed-view.js";
import { makeSnippet, needsReparse, parseSidecar, type Sidecar, serializeSidecar } from "./sidecar.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("makeSnippet", () => {
  it("collapses whitespace and cuts at 200 characters", () => {
    expect(makeSnippet("  Your code\r\n\r\n is\t123456  ")).toBe("Your code is 123456");
    expect(makeSnippet("x".repeat(500))).toBe("x".repeat(200));
  });

  it("is well-formed: a surrogate pair the cut splits ends as U+FFFD, as its UTF-8 record reads back", () => {
    const text = `${"a".repeat(199)}😀 after`;
    const snippet = makeSnippet(text);
    expect(snippet).toBe(`${"a".repeat(199)}\uFFFD`);
    expect(Buffer.from(snippet, "utf8").toString("utf8")).toBe(snippet);
    expect(makeSnippet(`${"a".repeat(198)}😀 after`)).toBe(`${"a".repeat(198)}😀`);
  });

  it("does not keep the text it was cut from alive", () => {
    // Without whitespace to collapse, a cut of a cut is a slice of the 1 MB text, which V8 would keep
    // whole for as long as the snippet lives: 40 of them held about 40 MB.
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const snippets = Array.from({ length: 40 }, (_, i) => makeSnippet(`${i}`.padEnd(1024 * 1024, "x")));
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;

    expect(snippets.every((snippet) => snippet.length === 200)).toBe(true);
    expect(retained).toBeLessThan(8 * 1024 * 1024);
  });
});

function sidecarWith(view: Partial<Sidecar["view"]>): Sidecar {
  return {
    version: 1,
    id: "01m900d0jhgaz2xgv76hcfnkvx",
    sequence: 7,
    inboxes: ["a@example.test"],
    envelope: {
      mailFrom: "s@example.test",
      rcptTo: ["a@example.test"],
      remoteAddress: "127.0.0.1",
      heloName: "client.test",
      authUser: null,
      tls: null,
      receivedAt: "2026-12-04T08:00:00.000Z",
    },
    size: 100,
    sha256: "0".repeat(64),
    view: { ...emptyParsedView("x"), parseError: null, ...view },
  };
}

describe("serializeSidecar", () => {
  it("writes a visible text that is the text once, and parseSidecar gives both back", () => {
    const text = "Your code is 123456\n".repeat(50);
    const sidecar = sidecarWith({ text, visibleText: text });
    const json = serializeSidecar(sidecar);

    expect(json.split("Your code is 123456").length - 1).toBe(50);
    expect(json.startsWith('{"version":1,"id":"01m900d0jhgaz2xgv76hcfnkvx"')).toBe(true);
    const read = parseSidecar(json, sidecar.id);
    expect(read).toEqual(sidecar);
    expect(read && needsReparse(read)).toBe(false);
  });

  it("writes a visible text of its own (from HTML) as it is", () => {
    const sidecar = sidecarWith({ text: "plain", html: "<p>rich</p>", visibleText: "plain\n\nrich" });
    expect(JSON.parse(serializeSidecar(sidecar)).view.visibleText).toBe("plain\n\nrich");
    expect(parseSidecar(serializeSidecar(sidecar))).toEqual(sidecar);
    const htmlOnly = sidecarWith({ text: null, html: "<p>rich</p>", visibleText: "rich" });
    expect(parseSidecar(serializeSidecar(htmlOnly))).toEqual(htmlOnly);
  });

  it("leaves a reader that predates the short form re-parsing the message, not reading a wrong text", () => {
    const text = "hello";
    const written = JSON.parse(serializeSidecar(sidecarWith({ text, visibleText: text }))) as Sidecar;
    // What an earlier Mailnest's parseSidecar returned: the JSON as it is.
    expect(typeof written.view.visibleText).not.toBe("string");
    expect(needsReparse(written)).toBe(true);
  });

  it("reads sidecars written before the short form", () => {
    const sidecar = sidecarWith({ text: "same", visibleText: "same" });
    expect(parseSidecar(JSON.stringify(sidecar))).toEqual(sidecar);
  });
});
