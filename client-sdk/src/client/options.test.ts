import { describe, expect, it } from "vitest";
import { resolveOptions } from "./options.js";

describe("client options", () => {
  it("take the URL and token from MAILNEST_URL and MAILNEST_API_TOKEN, with defaults", () => {
    expect(resolveOptions({}, {})).toEqual({
      url: "http://127.0.0.1:8025",
      token: null,
      timeout: 10_000,
      requestTimeout: 30_000,
      maxRequestWait: 25_000,
    });
    const fromEnv = resolveOptions(
      {},
      { MAILNEST_URL: "http://mail:9000/sandbox", MAILNEST_API_TOKEN: "s3cret" },
    );
    expect([fromEnv.url, fromEnv.token]).toEqual(["http://mail:9000/sandbox", "s3cret"]);
  });

  it("prefer explicit options over the environment, and a null token turns auth off", () => {
    const resolved = resolveOptions(
      { url: "https://x.test", token: null, timeout: 0 },
      { MAILNEST_URL: "http://other", MAILNEST_API_TOKEN: "t" },
    );
    expect([resolved.url, resolved.token, resolved.timeout]).toEqual(["https://x.test", null, 0]);
  });

  it.each([
    [
      { url: "127.0.0.1:8025" },
      {},
      'Expected url to be an http(s) URL such as "http://127.0.0.1:8025"; got "127.0.0.1:8025"',
    ],
    [{}, { MAILNEST_URL: "ftp://x" }, "Expected MAILNEST_URL to be an http(s) URL"],
    [{ token: "" }, {}, "Expected token to be a non-empty string or null"],
    [{ timeout: -1 }, {}, "Expected timeout to be a number of milliseconds >= 0; got number -1"],
    [{ maxRequestWait: 0 }, {}, "Expected maxRequestWait to be a number of milliseconds >= 1"],
    [{ timout: 5 }, {}, 'Unknown Mailnest option "timout"'],
  ])("reject %j (env %j) with a TypeError saying what was expected", (options, env, expected) => {
    expect(() => resolveOptions(options as never, env)).toThrow(TypeError);
    expect(() => resolveOptions(options as never, env)).toThrow(expected);
  });
});
