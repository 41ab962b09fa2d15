import { describe, expect, it } from "vitest";
import {
  corsOriginAllowed,
  hostHeaderAllowed,
  isLoopbackHost,
  originAllowed,
  writeRefusal,
} from "./origin-policy.js";

describe("origin policy", () => {
  it("knows loopback names and addresses", () => {
    for (const host of [
      "localhost",
      "LOCALHOST",
      "app.localhost",
      "127.0.0.1",
      "127.8.9.10",
      "::1",
      "[::1]",
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "10.0.0.1", "localhost.example", "128.0.0.1", "::", "example.test"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("accepts only loopback Host headers while listening on loopback, any when exposed", () => {
    expect(hostHeaderAllowed("127.0.0.1", "localhost:8025")).toBe(true);
    expect(hostHeaderAllowed("127.0.0.1", "[::1]:8025")).toBe(true);
    expect(hostHeaderAllowed("127.0.0.1", "evil.example:8025")).toBe(false);
    expect(hostHeaderAllowed("127.0.0.1", "bad host")).toBe(false);
    // The URL parser reads what precedes "@" as credentials; a Host header has none.
    expect(hostHeaderAllowed("127.0.0.1", "evil.example@127.0.0.1:8025")).toBe(false);
    expect(hostHeaderAllowed("127.0.0.1", "127.0.0.1:8025/x")).toBe(false);
    expect(hostHeaderAllowed("127.0.0.1", "2130706433:8025")).toBe(true);
    expect(hostHeaderAllowed("127.0.0.1", undefined)).toBe(true);
    expect(hostHeaderAllowed("0.0.0.0", "mailnest:8025")).toBe(true);
  });

  it("allows no Origin, the same host:port, and configured origins; nothing else", () => {
    expect(originAllowed(undefined, "127.0.0.1:8025", [])).toBe(true);
    expect(originAllowed("http://127.0.0.1:8025", "127.0.0.1:8025", [])).toBe(true);
    expect(originAllowed("https://mail.test", "mail.test:443", [])).toBe(true);
    expect(originAllowed("http://127.0.0.1:3000", "127.0.0.1:8025", [])).toBe(false);
    expect(originAllowed("http://localhost:8025", "127.0.0.1:8025", [])).toBe(false);
    expect(originAllowed("null", "127.0.0.1:8025", ["*"])).toBe(false);
    expect(originAllowed("file://", "127.0.0.1:8025", [])).toBe(false);
    expect(originAllowed("http://localhost:5173", "127.0.0.1:8025", ["http://localhost:5173/"])).toBe(true);
    expect(originAllowed("https://any.example", "127.0.0.1:8025", ["*"])).toBe(true);
  });

  it("compares CORS origins after normalising them", () => {
    expect(corsOriginAllowed("https://app.example", ["https://APP.example:443"])).toBe(true);
    expect(corsOriginAllowed("https://app.example:8443", ["https://app.example"])).toBe(false);
    expect(corsOriginAllowed("http://app.example", ["https://app.example"])).toBe(false);
  });

  it("refuses writes from a foreign Origin, or from a cross-site or same-site page without one", () => {
    const host = "127.0.0.1:8025";
    const refusal = (headers: Record<string, string>, cors: string[] = []) =>
      writeRefusal({ host, ...headers }, cors);
    expect(refusal({})).toBeNull();
    expect(refusal({ "sec-fetch-site": "same-origin" })).toBeNull();
    expect(refusal({ "sec-fetch-site": "none" })).toBeNull();
    expect(refusal({ origin: "http://127.0.0.1:8025", "sec-fetch-site": "same-origin" })).toBeNull();
    expect(refusal({ origin: "http://app.test:3000" }, ["http://app.test:3000"])).toBeNull();
    expect(refusal({ origin: "http://127.0.0.1:3000" })).toMatch(
      /^Origin "http:\/\/127\.0\.0\.1:3000" may not/,
    );
    expect(refusal({ origin: "null" })).toMatch(/^Origin "null"/);
    expect(refusal({ origin: "null" }, ["*"])).toMatch(/^Origin "null"/);
    expect(refusal({ "sec-fetch-site": "cross-site" })).toMatch(/Sec-Fetch-Site: cross-site/);
    expect(refusal({ "sec-fetch-site": "same-site" })).toMatch(/Sec-Fetch-Site: same-site/);
  });
});
