import nodemailer from "nodemailer";
import { expect, test } from "../../src/playwright.js";

async function send(to: string, subject: string): Promise<void> {
  const port = Number(process.env.MAILNEST_SMTP_PORT);
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: "app@app.test", to, subject, text: `Body of ${subject}` });
  transport.close();
}

test("passes and leaves its inbox deleted", async ({ inbox }) => {
  await send(inbox.address, "Hello");
  await expect(inbox).toReceiveMessage({ subject: "Hello" });
  process.stdout.write(`PASSING-INBOX ${inbox.address}\n`);
});

test("fails while its inbox holds two messages", async ({ inbox }) => {
  await send(inbox.address, "First");
  await send(inbox.address, "Second");
  process.stdout.write(`FAILING-INBOX ${inbox.address}\n`);
  await expect(inbox).toReceiveMessage({ subject: "Never sent" }, { timeout: 200 });
});
