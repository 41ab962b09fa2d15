import type { SMTPServerSession } from "smtp-server";
import type { IncomingEnvelope, TlsInfo } from "../store/model.js";

/** What the SMTP session knew when DATA started, in the store's terms. */
export function toIncomingEnvelope(
  session: SMTPServerSession,
  options: { implicitTls: boolean },
): IncomingEnvelope {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    mailFrom: mailFrom ? mailFrom.address : "",
    rcptTo: rcptTo.map((recipient) => recipient.address),
    remoteAddress: session.remoteAddress,
    // smtp-server keeps `false` here until the client said HELO/EHLO, despite the string type.
    heloName: typeof session.hostNameAppearsAs === "string" ? session.hostNameAppearsAs : "",
    authUser: typeof session.user === "string" ? session.user : null,
    tls: tlsInfo(session, options.implicitTls),
  };
}

function tlsInfo(session: SMTPServerSession, implicit: boolean): TlsInfo | null {
  if (!session.secure) return null;
  const cipher = session.tlsOptions;
  return {
    protocol: cipher ? cipher.version : "unknown",
    cipher: cipher ? cipher.name : "unknown",
    implicit,
  };
}
