import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./unavailable.js";

function serverError(code: string): postgres.PostgresError {
  return new postgres.PostgresError({ message: `server said ${code}`, code } as never);
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("isDatabaseUnavailable", () => {
  it("a database that is away: refused, reset, closed, timed out, shutting down, overloaded", () => {
    for (const error of [
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
      withCode("read ECONNRESET", "ECONNRESET"),
      withCode("write CONNECTION_CLOSED 127.0.0.1:5432", "CONNECTION_CLOSED"),
      withCode("write CONNECT_TIMEOUT 127.0.0.1:5432", "CONNECT_TIMEOUT"),
      serverError("57P01"), // admin_shutdown
      serverError("57P03"), // cannot_connect_now (starting up)
      serverError("57014"), // statement timeout
      serverError("53300"), // too_many_connections
      serverError("08006"), // connection_failure
    ]) {
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
    }
  });

  it("a statement the server rejected for what it is, or a bug in the client call, is not", () => {
    for (const error of [
      serverError("42P01"), // undefined_table
      serverError("23505"), // unique_violation
      withCode("UNDEFINED_VALUE: Undefined values are not allowed", "UNDEFINED_VALUE"),
      new Error("no code at all"),
    ]) {
      expect(isDatabaseUnavailable(error), error.message).toBe(false);
    }
    expect(isDatabaseUnavailable("a string")).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});
