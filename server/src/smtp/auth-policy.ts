import { createHash, timingSafeEqual } from "node:crypto";
import type { SMTPServerAuthentication } from "smtp-server";
import { SmtpReplyError } from "./smtp-error.js";

/** The mechanisms offered, in the order of the EHLO line: clients that take the first one get PLAIN. */
export const AUTH_METHODS = ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"] as const;

export type AuthDecision = { user: string } | SmtpReplyError;

/**
 * Decides SMTP AUTH attempts. With `users` null every credential is accepted and the user name is
 * recorded, so apps configured with any username/password just work. With users, only a listed
 * user with its password succeeds (535 5.7.8 otherwise): PLAIN and LOGIN compare the password,
 * CRAM-MD5 checks the challenge response against it, and XOAUTH2 takes the password as the token.
 */
export function createAuthPolicy(
  users: ReadonlyMap<string, string> | null,
): (auth: SMTPServerAuthentication) => AuthDecision {
  return (auth) => {
    const user = auth.username ?? "";
    if (user === "") {
      // RFC 4954 section 6: 535 when the mechanism completed but named nobody.
      return invalidCredentials("empty user name");
    }
    if (users === null) return { user };
    const password = users.get(user);
    if (password === undefined || !proves(auth, password)) return invalidCredentials();
    return { user };
  };
}

function proves(auth: SMTPServerAuthentication, password: string): boolean {
  switch (auth.method) {
    case "PLAIN":
    case "LOGIN":
      return sameSecret(auth.password ?? "", password);
    case "CRAM-MD5":
      return auth.validatePassword(password);
    case "XOAUTH2":
      return sameSecret(auth.accessToken ?? "", password);
    default:
      return false;
  }
}

/** Hashing first gives equal lengths, so the comparison takes the same time whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function invalidCredentials(detail?: string): SmtpReplyError {
  return new SmtpReplyError(535, `Authentication credentials invalid${detail ? `: ${detail}` : ""}`, "auth");
}
