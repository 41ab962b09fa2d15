import { describe, expect, it } from "vitest";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import {
  addressParam,
  messageIdParam,
  parseCreateInboxBody,
  parseListQuery,
  parseReadBody,
  parseWaitQuery,
} from "./params.js";

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

describe("parameter parsing", () => {
  it("parses list queries with defaults and every filter", () => {
    expect(parseListQuery({})).toEqual({ limit: 50 });
    expect(
      parseListQuery({
        limit: "10",
        cursor: "abc",
        from: "a",
        to: "b",
        subject: "c",
        text: "d",
        hasAttachment: "0",
        authUser: "u",
        since: "7",
        token: "ignored here",
      }),
    ).toEqual({
      limit: 10,
      cursor: "abc",
      from: "a",
      to: "b",
      subject: "c",
      text: "d",
      hasAttachment: false,
      authUser: "u",
      since: 7,
    });
  });

  it("takes an empty value of any parameter as absent, as a form's blank field means", () => {
    const blank = { from: "", since: "", hasAttachment: "", limit: "", cursor: "", after: "" };
    expect(parseListQuery(blank)).toEqual({ limit: 50 });
    const wait = parseWaitQuery(
      { from: "", since: "", hasAttachment: "", count: "", timeout: "", limit: "" },
      30_000,
    );
    expect(wait).toEqual(parseWaitQuery({}, 30_000));
  });

  it("caps the wait timeout at the server's maximum instead of refusing it", () => {
    expect(parseWaitQuery({}, 30_000)).toEqual({ filter: {}, count: 1, limit: 1, timeoutMs: 10_000 });
    expect(parseWaitQuery({}, 5_000).timeoutMs).toBe(5_000);
    expect(parseWaitQuery({ timeout: "999999", count: "100" }, 30_000)).toEqual({
      filter: {},
      count: 100,
      limit: 100,
      timeoutMs: 30_000,
    });
  });

  it("lets a wait's limit default to its count and range from count to 500", () => {
    expect(parseWaitQuery({ count: "2", limit: "500" }, 30_000).limit).toBe(500);
    expect(parseWaitQuery({ count: "7" }, 30_000).limit).toBe(7);
  });

  it("names the parameter and what it expected", () => {
    const error = thrown(() => parseListQuery({ limit: "9999" }));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error).toMatchObject({
      parameter: "limit",
      message: 'Invalid "limit": expected an integer from 1 to 500, got "9999"',
    });
    expect(thrown(() => parseListQuery({ since: ["1", "2"] }))).toMatchObject({
      message: 'Invalid "since": expected a single value, got several values (give the parameter once)',
    });
    expect(thrown(() => parseReadBody([]))).toMatchObject({
      parameter: "body",
      message: 'Invalid "body": expected a JSON object, got a JSON array',
    });
  });

  it("normalizes addresses with the store's rule and refuses non-addresses", () => {
    expect(addressParam("Ann+Tag@Example.TEST")).toBe("ann+tag@example.test");
    expect(addressParam("<bob@x.test>")).toBe("bob@x.test");
    expect(addressParam('"John Doe"@X.test')).toBe('"john doe"@x.test');
    expect(addressParam('"ann <home>"@x.test')).toBe('"ann <home>"@x.test');
    expect(addressParam('"john"@x.test')).toBe("john@x.test");
    for (const bad of [
      "plain",
      "@x.test",
      "a@",
      "a b@x.test",
      "a@b@",
      '"a b"c@x.test',
      '"a\tb"@x.test',
      "a@b c",
      42,
    ]) {
      expect(
        thrown(() => addressParam(bad)),
        String(bad),
      ).toMatchObject({ parameter: "address" });
    }
  });

  it("treats a malformed message id as not found", () => {
    expect(messageIdParam("01hzy0000000000000000000ab")).toBe("01hzy0000000000000000000ab");
    for (const bad of ["../etc/passwd", "01HZY0000000000000000000AB", "short", ""]) {
      expect(thrown(() => messageIdParam(bad))).toBeInstanceOf(NotFoundError);
    }
  });

  it("parses bodies: create defaults, read flag defaults only where documented", () => {
    expect(parseCreateInboxBody(undefined)).toEqual({ prefix: "t", domain: null, ttlMs: null });
    expect(parseReadBody(undefined, true)).toBe(true);
    expect(parseReadBody({ read: false }, true)).toBe(false);
    expect(thrown(() => parseReadBody({}))).toMatchObject({ parameter: "read" });
    expect(thrown(() => parseReadBody(null))).toMatchObject({ parameter: "body" });
  });
});
