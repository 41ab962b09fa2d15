import { describe, expect, it } from "vitest";
import { decideAuth } from "./auth-policy.js";

describe("decideAuth", () => {
  const attempt = (username: string | undefined) => ({
    method: "PLAIN" as const,
    username,
    password: "whatever",
    validatePassword: () => false,
  });

  it("accepts any credentials and keeps the user name", () => {
    expect(decideAuth(attempt("app-user"))).toEqual({ user: "app-user" });
  });

  it("refuses an AUTH that names no user with 535", () => {
    expect(decideAuth(attempt(""))).toMatchObject({ responseCode: 535, reason: "auth" });
    expect(decideAuth(attempt(undefined))).toMatchObject({ responseCode: 535 });
  });
});
