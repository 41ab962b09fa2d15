import { describe, expect, it } from "vitest";
import { formatRoute, HOME, parseRoute } from "./route.js";

describe("routes", () => {
  it("round-trips an inbox, a message, a tab and a search through the URL", () => {
    const route = {
      inbox: "signup+tag@mailnest.test",
      messageId: "01hqzx5k3v8c9m2n4p6r8t0w2y",
      tab: "headers" as const,
      query: "from:ann welcome",
      field: "text" as const,
    };
    const url = formatRoute(route);
    expect(url).toBe(
      "/inbox/signup%2Btag%40mailnest.test/01hqzx5k3v8c9m2n4p6r8t0w2y?q=from%3Aann+welcome&in=text&tab=headers",
    );
    const [path, search] = url.split("?");
    expect(parseRoute(path!, `?${search}`)).toEqual(route);
  });

  it("names a message in all mail under /all/", () => {
    expect(formatRoute({ ...HOME, messageId: "01hqzx5k3v8c9m2n4p6r8t0w2y" })).toBe(
      "/all/01hqzx5k3v8c9m2n4p6r8t0w2y",
    );
    expect(parseRoute("/all/01hqzx5k3v8c9m2n4p6r8t0w2y", "")).toMatchObject({
      inbox: null,
      messageId: "01hqzx5k3v8c9m2n4p6r8t0w2y",
    });
  });

  it("falls back to all mail for unknown paths, tabs and fields and for malformed escapes", () => {
    expect(parseRoute("/nowhere", "?tab=evil&in=evil")).toEqual(HOME);
    expect(parseRoute("/inbox/%E0%A4%A", "")).toEqual(HOME);
  });

  it("drops the tab from the URL when no message is open", () => {
    expect(formatRoute({ ...HOME, tab: "source" })).toBe("/");
  });
});
