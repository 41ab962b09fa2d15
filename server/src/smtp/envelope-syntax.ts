import type { SMTPServerAddress } from "smtp-server";
import { SmtpReplyError } from "./smtp-error.js";

export type EnvelopeCommand = "MAIL FROM" | "RCPT TO";

/**
 * The ESMTP parameters each command takes on this server: what its EHLO advertises and smtp-server
 * validates (SIZE, 8BITMIME's BODY, SMTPUTF8, DSN's RET/ENVID/NOTIFY/ORCPT, REQUIRETLS over TLS)
 * plus AUTH=, which RFC 4954 section 5 obliges a server offering AUTH to accept. Hiding one of
 * these extensions in the smtp-server options would mean removing it here too.
 */
const KNOWN_PARAMETERS: Readonly<Record<EnvelopeCommand, ReadonlySet<string>>> = {
  "MAIL FROM": new Set(["SIZE", "BODY", "SMTPUTF8", "AUTH", "RET", "ENVID", "REQUIRETLS"]),
  "RCPT TO": new Set(["NOTIFY", "ORCPT"]),
};

/**
 * 555 for a parameter the server does not know (RFC 5321 section 4.1.1.11: "MAIL FROM/RCPT TO
 * parameters not recognized or not implemented"; smtp-server adds 5.5.4). smtp-server checks the
 * ones it knows and passes anything else through to the hook with a 250, which would let a client
 * believe that, say, a misspelt `NOTIFY` was honoured.
 */
export function parameterRefusal(
  command: EnvelopeCommand,
  offered: SMTPServerAddress,
): SmtpReplyError | null {
  const unknown = Object.keys(offered.args || {}).filter((name) => !KNOWN_PARAMETERS[command].has(name));
  if (unknown.length === 0) return null;
  const known = [...KNOWN_PARAMETERS[command]].join(", ");
  return new SmtpReplyError(
    555,
    `${command} parameter${unknown.length > 1 ? "s" : ""} not recognized: ${unknown.join(", ")} (known: ${known})`,
    "syntax",
  );
}

/**
 * smtp-server decodes a command line as UTF-8, so bytes that are not UTF-8 reach the hooks as
 * U+FFFD REPLACEMENT CHARACTER: `<\xff\xfe@x>` and `<\xfe\xff@x>` would both become `<\uFFFD\uFFFD@x>`
 * and land in one inbox. U+FFFD is never part of a real mailbox name (it is what a decoder writes
 * for what it could not read), so an address holding one, whether it came as bad bytes or as the
 * character itself, is refused: 553 "mailbox name not allowed" (RFC 5321 section 4.2.2) with
 * smtp-server's 5.1.3: even with SMTPUTF8, an address may hold only well-formed UTF-8 (RFC 6531
 * section 3.3, whose UTF8-non-ascii is RFC 6532's, i.e. RFC 3629 UTF-8).
 */
export function addressRefusal(command: EnvelopeCommand, offered: SMTPServerAddress): SmtpReplyError | null {
  if (!offered.address.includes("\uFFFD")) return null;
  const role = command === "MAIL FROM" ? "sender" : "recipient";
  return new SmtpReplyError(553, `The ${role} address is not valid UTF-8`, "syntax");
}

/** The first reason to refuse a MAIL FROM or RCPT TO on syntax, or null. */
export function envelopeSyntaxRefusal(
  command: EnvelopeCommand,
  offered: SMTPServerAddress,
): SmtpReplyError | null {
  return addressRefusal(command, offered) ?? parameterRefusal(command, offered);
}
