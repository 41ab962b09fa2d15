import type { TLSSocket } from "node:tls";
import type { SMTPServerSession } from "smtp-server";
import type { DsnRequest } from "../events/bus.js";
import type { FaultEnvelope } from "../faults/fault-rule.js";
import type { IncomingEnvelope, TlsInfo } from "../store/model.js";

/** What the SMTP session knew when DATA started, in the store's terms. */
export function toIncomingEnvelope(session: SMTPServerSession, tls: TlsInfo | null): IncomingEnvelope {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    mailFrom: mailFrom ? mailFrom.address : "",
    rcptTo: rcptTo.map((recipient) => recipient.address),
    remoteAddress: session.remoteAddress,
    heloName: heloNameOf(session),
    authUser: authUserOf(session),
    tls,
  };
}

/** The DSN parameters (RFC 3461) of the transaction, as smtp-server parsed them. */
export function toDsnRequest(session: SMTPServerSession): DsnRequest {
  const { dsn, rcptTo } = session.envelope;
  return {
    ret: dsn?.ret === "FULL" || dsn?.ret === "HDRS" ? dsn.ret : null,
    envid: dsn?.envid ?? null,
    recipients: rcptTo.map((recipient) => ({
      address: recipient.address,
      notify: recipient.dsn?.notify ?? null,
      orcpt: recipient.dsn?.orcpt ?? null,
    })),
  };
}

/**
 * The envelope so far, for the fault log. `mailFrom` and `recipient` are what the client is
 * offering right now (the hooks run before smtp-server adds them to the session).
 */
export function toFaultEnvelope(
  session: SMTPServerSession,
  offered: { mailFrom?: string; recipient?: string } = {},
): FaultEnvelope {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    remoteAddress: session.remoteAddress,
    heloName: heloNameOf(session),
    mailFrom: offered.mailFrom ?? (mailFrom ? mailFrom.address : null),
    rcptTo: rcptTo.map((recipient) => recipient.address),
    recipient: offered.recipient ?? null,
    authUser: authUserOf(session),
    tls: session.secure,
  };
}

/**
 * The TLS session of a socket once its handshake is done. The negotiated protocol comes from the
 * socket: `getCipher().version` is only the oldest protocol the cipher suite works with.
 */
export function tlsInfoOf(socket: TLSSocket, implicit: boolean): TlsInfo {
  const cipher = socket.getCipher();
  return { protocol: socket.getProtocol() ?? cipher.version, cipher: cipher.name, implicit };
}

function heloNameOf(session: SMTPServerSession): string {
  // smtp-server keeps `false` here until the client said HELO/EHLO, despite the string type.
  return typeof session.hostNameAppearsAs === "string" ? session.hostNameAppearsAs : "";
}

function authUserOf(session: SMTPServerSession): string | null {
  return typeof session.user === "string" ? session.user : null;
}
