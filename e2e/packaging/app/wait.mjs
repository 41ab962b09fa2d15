// ESM: nodemailer sends (as the app would), the SDK waits. MAILNEST_URL and MAILNEST_SMTP_PORT
// come from packaging.test.mjs.
import { Mailnest } from "@mailnest/client";
import nodemailer from "nodemailer";

const mail = new Mailnest({ timeout: 10_000 });
const inbox = await mail.createInbox({ prefix: "esm" });
const next = inbox.nextMessage({ subject: /from esm/i });
const transport = nodemailer.createTransport({
  host: "127.0.0.1",
  port: Number(process.env.MAILNEST_SMTP_PORT),
});
await transport.sendMail({
  from: "app@example.test",
  to: inbox.address,
  subject: "Hello from ESM",
  text: "Your code is 482913",
});
transport.close();
const message = await next;
if (message.code() !== "482913") throw new Error(`expected the code 482913, got ${message.code()}`);
process.stdout.write(`esm: ${message}\n`);
