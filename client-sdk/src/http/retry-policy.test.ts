import { describe, expect, it } from "vitest";
import { BrokenResponseError } from "../errors/broken-response-error.js";
import { ConnectionError } from "../errors/connection-error.js";
import { HttpError } from "../errors/http-error.js";
import { retryDelay, retryReason } from "./retry-policy.js";

const connection = (code: string | null) =>
  new ConnectionError("x", { method: "GET", url: "u", code, cause: null });
const http = (status: number, code: string | null, body: unknown = null) =>
  new HttpError("x", { status, code, method: "GET", url: "u", body });

describe("retryReason", () => {
  it.each([
    ["GET", connection("ECONNREFUSED"), false, null],
    ["GET", connection("ECONNREFUSED"), true, "unreachable"],
    ["POST", connection("ECONNREFUSED"), true, "unreachable"],
    ["GET", connection("ECONNRESET"), false, "unreachable"],
    ["DELETE", connection("UND_ERR_SOCKET"), true, "unreachable"],
    ["POST", connection("ECONNRESET"), true, null],
    ["GET", connection("ENOTFOUND"), true, null],
    ["GET", connection("DEPTH_ZERO_SELF_SIGNED_CERT"), true, null],
    [
      "GET",
      new BrokenResponseError("x", { method: "GET", url: "u", code: null, cause: null }),
      true,
      "unreachable",
    ],
    ["POST", new BrokenResponseError("x", { method: "POST", url: "u", code: null, cause: null }), true, null],
    ["GET", http(503, "shutting_down"), true, "shutting_down"],
    ["GET", http(503, null, { status: "closing", ready: false }), true, "shutting_down"],
    ["GET", http(502, null, "<html>Bad Gateway</html>"), true, "unreachable"],
    ["POST", http(503, "shutting_down"), true, null],
    ["GET", http(503, "storage_unavailable"), true, "storage_unavailable"],
    ["DELETE", http(503, "storage_unavailable"), false, "storage_unavailable"],
    ["POST", http(503, "storage_unavailable"), true, null],
    ["GET", http(500, "internal_error"), true, null],
    ["GET", http(404, "not_found"), true, null],
    ["GET", new TypeError("terminated"), true, null],
  ])("%s after %s (reached before: %s) → %s", (method, error, reachedBefore, expected) => {
    expect(retryReason(error, { method, reachedBefore })).toBe(expected);
  });
});

describe("retryDelay", () => {
  it("doubles from 100 ms up to 2 s, each delay drawn from the upper half of its step", () => {
    for (const [attempt, ceiling] of [
      [1, 100],
      [2, 200],
      [5, 1_600],
      [6, 2_000],
      [60, 2_000],
    ] as const) {
      for (let draw = 0; draw < 20; draw++) {
        const delay = retryDelay(attempt);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
