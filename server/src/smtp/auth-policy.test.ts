import { createHmac } from "node:crypto";
import type { SMTPServerAuthentication } from "smtp-server";
import { describe, expect, it } from "vitest";
import { createAuthPolicy } from "./auth-policy.js";

function plain(username: string | undefined, password: string): SMTPServerAuthentication {
  return { method: "PLAIN", username, password, validatePassword: () => false };
}

/** What smtp-server hands over for CRAM-MD5: the challenge and the client's HMAC of it. */
function cramMd5(username: string, password: string): SMTPServerAuthentication {
  const challenge = "<1896.697170952@mailnest.test>";
  const challengeResponse = createHmac("md5", password).update(challenge).digest("hex");
  return {
    method: "CRAM-MD5",
    username,
    challenge,
    challengeResponse,
    validatePassword: (candidate) =>
      createHmac("md5", candidate).update(challenge).digest("hex") === challengeResponse,
  };
}

describe("createAuthPolicy without users", () => {
  const decide = createAuthPolicy(null);

  it("accepts any credentials and keeps the user name, whatever the mechanism", () => {
    expect(decide(plain("app-user", "whatever"))).toEqual({ user: "app-user" });
    expect(decide(cramMd5("cram-user", "anything"))).toEqual({ user: "cram-user" });
    expect(
      decide({ method: "XOAUTH2", username: "oauth-user", accessToken: "t", validatePassword: () => false }),
    ).toEqual({
      user: "oauth-user",
    });
  });

  it("refuses an AUTH that names no user with 535", () => {
    expect(decide(plain("", "x"))).toMatchObject({ responseCode: 535, reason: "auth" });
    expect(decide(plain(undefined, "x"))).toMatchObject({ responseCode: 535 });
  });
});

describe("createAuthPolicy with configured users", () => {
  const decide = createAuthPolicy(new Map([["app", "s3cret"]]));

  it("accepts the right password over PLAIN, LOGIN and CRAM-MD5, and the password as XOAUTH2 token", () => {
    expect(decide(plain("app", "s3cret"))).toEqual({ user: "app" });
    expect(decide({ ...plain("app", "s3cret"), method: "LOGIN" })).toEqual({ user: "app" });
    expect(decide(cramMd5("app", "s3cret"))).toEqual({ user: "app" });
    expect(
      decide({ method: "XOAUTH2", username: "app", accessToken: "s3cret", validatePassword: () => false }),
    ).toEqual({
      user: "app",
    });
  });

  it("refuses a wrong password, an unknown user and a wrong token with 535", () => {
    for (const attempt of [
      plain("app", "wrong"),
      plain("app", "s3cret "),
      plain("someone", "s3cret"),
      cramMd5("app", "wrong"),
      { method: "XOAUTH2", username: "app", accessToken: "wrong", validatePassword: () => false } as const,
    ]) {
      expect(decide(attempt)).toMatchObject({ responseCode: 535, reason: "auth" });
    }
  });
});
