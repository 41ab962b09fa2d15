import type { SMTPServerAuthentication } from "smtp-server";
import { SmtpReplyError } from "./smtp-error.js";

/**
 * Decides an SMTP AUTH attempt. For now every credential is accepted so that apps configured with a
 * username/password just work; the user name is what gets recorded with each message.
 * Issue 6 grows this into real checks (`--smtp-auth user:pass`), which is why it is one function.
 */
export function decideAuth(auth: SMTPServerAuthentication): { user: string } | SmtpReplyError {
  const user = auth.username ?? "";
  if (user === "") {
    // RFC 4954 section 6: 535 when the mechanism completed but named nobody.
    return new SmtpReplyError(535, "Authentication credentials invalid: empty user name", "auth");
  }
  return { user };
}
