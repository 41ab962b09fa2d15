import { describe, expect, it } from "vitest";
import { MAILNEST_ERROR_BRAND } from "./brand.js";
import { ConnectionError, isConnectionError } from "./connection-error.js";
import { HttpError, isHttpError } from "./http-error.js";
import { isMailnestError, MailnestError } from "./mailnest-error.js";
import { isNotFoundError, NotFoundError } from "./not-found-error.js";
import { isUnauthorizedError } from "./unauthorized-error.js";
import { isWaitTimeoutError, WaitTimeoutError } from "./wait-timeout-error.js";

const http = {
  status: 404,
  code: "not_found",
  method: "GET",
  url: "http://127.0.0.1:1/api/messages/x",
  body: null,
};

describe("type guards", () => {
  it("recognise a subclass as its parents too, and nothing else", () => {
    const error = new NotFoundError("GET … → 404", http);
    expect(error).toBeInstanceOf(HttpError);
    expect([isNotFoundError(error), isHttpError(error), isMailnestError(error)]).toEqual([true, true, true]);
    expect([isUnauthorizedError(error), isWaitTimeoutError(error), isConnectionError(error)]).toEqual([
      false,
      false,
      false,
    ]);
    expect(isHttpError(new HttpError("x", { ...http, status: 500 }))).toBe(true);
    expect(isNotFoundError(new HttpError("x", { ...http, status: 500 }))).toBe(false);
  });

  it("recognise errors from another copy of the package (ESM and CommonJS loaded together) by their brand", () => {
    const foreign = Object.assign(new Error("timed out"), {
      name: "WaitTimeoutError",
      [MAILNEST_ERROR_BRAND]: true,
    });
    expect(foreign).not.toBeInstanceOf(WaitTimeoutError);
    expect(isWaitTimeoutError(foreign)).toBe(true);
    expect(isMailnestError(foreign)).toBe(true);
  });

  it("reject look-alikes without the brand, and non-errors", () => {
    expect(isWaitTimeoutError(Object.assign(new Error("x"), { name: "WaitTimeoutError" }))).toBe(false);
    expect(isMailnestError({ name: "MailnestError", message: "x" })).toBe(false);
    expect(isMailnestError(undefined)).toBe(false);
  });

  it("name each class for stack traces and test output", () => {
    expect(new MailnestError("x").name).toBe("MailnestError");
    expect(new ConnectionError("x", { method: "GET", url: "u", code: null, cause: null }).name).toBe(
      "ConnectionError",
    );
    expect(
      new WaitTimeoutError("x", {
        timeout: 1,
        inbox: null,
        filter: "",
        count: 1,
        matched: 0,
        inboxCount: 0,
        nearMisses: [],
      }).name,
    ).toBe("WaitTimeoutError");
  });
});
