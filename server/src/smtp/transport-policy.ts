import type { SMTPServerSession } from "smtp-server";
import type { MailnestConfig } from "../config.js";
import { SmtpReplyError } from "./smtp-error.js";

/** STARTTLS is offered when asked for, when TLS is required, or when a certificate was given. */
export function starttlsOffered(config: Pick<MailnestConfig, "starttls" | "requireTls" | "tls">): boolean {
  return config.starttls || config.requireTls || config.tls.certFile !== null || config.tls.keyFile !== null;
}

/** Whether a certificate must be loaded or generated at startup. */
export function certificateNeeded(
  config: Pick<MailnestConfig, "starttls" | "requireTls" | "tls" | "smtpsPort">,
): boolean {
  return starttlsOffered(config) || config.smtpsPort !== null;
}

/**
 * Whether AUTH may run over a connection that could have used STARTTLS but did not (smtp-server
 * answers `538 5.7.0 Error: Must issue a STARTTLS command first` otherwise, before any credentials are
 * exchanged). Allowed when asked for, and also while any credentials are accepted and TLS is not
 * required: then a password proves nothing, and apps configured with one must keep working.
 */
export function insecureAuthAllowed(
  config: Pick<MailnestConfig, "allowInsecureAuth" | "smtpUsers" | "requireTls">,
): boolean {
  return config.allowInsecureAuth || (config.smtpUsers === null && !config.requireTls);
}

/** `--require-tls` and `--require-auth` at MAIL FROM (RFC 3207 section 4, RFC 4954 section 6). */
export function mailFromRefusal(
  session: SMTPServerSession,
  config: Pick<MailnestConfig, "requireTls" | "requireAuth">,
): SmtpReplyError | null {
  if (config.requireTls && !session.secure) {
    return new SmtpReplyError(530, "Must issue a STARTTLS command first", "tls");
  }
  if (config.requireAuth && !session.user) {
    return new SmtpReplyError(530, "Authentication required", "auth");
  }
  return null;
}
