import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer/index.js";
import { mailnestSmtpPort } from "./sandbox-env.js";

/** A new address per test, so parallel tests never see each other's mail. */
export function freshAddress(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@mailnest.test`;
}

/** Sends one message over real SMTP (nodemailer) to the shared sandbox, or to `port`. */
export async function sendMail(message: Mail.Options, port: number = mailnestSmtpPort()): Promise<void> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail(message);
  } finally {
    transport.close();
  }
}
