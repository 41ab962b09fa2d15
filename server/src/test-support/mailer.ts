import { readFile } from "node:fs/promises";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Sandbox } from "../sandbox.js";
import type { StoredMessage } from "../store/model.js";
import { queuedId } from "./smtp-test-client.js";

/**
 * A nodemailer transport to a test sandbox, closed by `cleanup`. Quick timeouts: a test that hits
 * a wrong port fails in seconds, not minutes.
 */
export function mailerFor(
  cleanup: (task: () => unknown) => void,
  options: SMTPTransport.Options,
): Transporter<SMTPTransport.SentMessageInfo> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
    ...options,
  });
  cleanup(() => transport.close());
  return transport;
}

/** The self-signed certificate a client trusts, read where the docs say it is: `<dataDir>/tls/cert.pem`. */
export function generatedCertificate(dataDir: string): Promise<string> {
  return readFile(path.join(dataDir, "tls", "cert.pem"), "utf8");
}

/** Sends one small message and returns it as stored. */
export async function sendAndFetch(
  sandbox: Sandbox,
  transport: Transporter<SMTPTransport.SentMessageInfo>,
  mail: { to?: string; subject?: string } = {},
): Promise<StoredMessage> {
  const info = await transport.sendMail({
    from: "app@example.test",
    to: mail.to ?? "someone@example.test",
    subject: mail.subject ?? "hello",
    text: "body",
  });
  const message = await sandbox.store.get(queuedId(info.response));
  if (!message) throw new Error(`${info.response}: not in the store`);
  return message;
}
