import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { AttemptResult } from "../outbox/outbox.js";
import type { RelayTarget } from "./relay-target.js";

/** Sends raw bytes with an explicit envelope; one connection per message. Injectable for tests. */
export interface RelayClient {
  send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<AttemptResult>;
  close(): void;
}

/**
 * The relay's SMTP client: nodemailer's SMTP transport (the client smtp-server's own tests use).
 * `raw` is handed over as the whole message, so nodemailer adds nothing to it; the transport does
 * the dot-stuffing. A 5xx reply is a permanent failure (retrying cannot change the answer); a 4xx,
 * a refused connection or a timeout is retried by the outbox.
 */
export function createRelayClient(target: RelayTarget, heloName: string): RelayClient {
  const options: SMTPTransport.Options = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    requireTLS: target.starttls === "required",
    ignoreTLS: target.starttls === "off",
    tls: { rejectUnauthorized: target.verifyTls, servername: target.host },
    name: heloName,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    ...(target.auth ? { auth: { user: target.auth.user, pass: target.auth.pass } } : {}),
  };
  // nodemailer loads at the first message relayed: most sandboxes never relay, and loading it cost
  // every start about 30 ms and 3 MB of heap.
  let transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | null = null;
  return {
    async send(envelope, raw) {
      try {
        transport ??= import("nodemailer").then((nodemailer) => nodemailer.default.createTransport(options));
        const info = await (await transport).sendMail({ envelope, raw });
        const refused = info.rejected.map(String);
        return {
          ok: true,
          status: replyCode(info.response),
          response: info.response,
          note: refused.length > 0 ? `the relay refused ${refused.join(", ")}` : null,
        };
      } catch (error) {
        const failure = error as {
          message?: string;
          responseCode?: number;
          response?: string;
          code?: string;
        };
        const status = typeof failure.responseCode === "number" ? failure.responseCode : null;
        return {
          ok: false,
          status,
          error: failure.message ?? String(error),
          response: failure.response ?? null,
          permanent: status !== null && status >= 500 && status < 600,
        };
      }
    },
    close: () => {
      void transport?.then((loaded) => loaded.close());
    },
  };
}

function replyCode(response: string): number | null {
  const code = /^(\d{3})/.exec(response)?.[1];
  return code === undefined ? null : Number(code);
}
