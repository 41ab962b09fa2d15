// CommonJS: the same through require(), which resolves the SDK's dist/cjs.
const { Mailnest } = require("@mailnest/client");
const nodemailer = require("nodemailer");

async function main() {
  const mail = new Mailnest({ timeout: 10_000 });
  const inbox = await mail.createInbox({ prefix: "cjs" });
  const next = inbox.nextMessage({ subject: /from cjs/i });
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: Number(process.env.MAILNEST_SMTP_PORT),
  });
  await transport.sendMail({
    from: "app@example.test",
    to: inbox.address,
    subject: "Hello from CJS",
    text: "Your code is 713370",
  });
  transport.close();
  const message = await next;
  if (message.code() !== "713370") throw new Error(`expected the code 713370, got ${message.code()}`);
  process.stdout.write(`cjs: ${message}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
