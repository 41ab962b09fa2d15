const { Mailnest, isWaitTimeoutError, WaitTimeoutError } = require("@mailnest/client");
const { startSignupApp } = require("./signup-app.cjs");

const mail = new Mailnest(); // MAILNEST_URL, set by global-setup.cjs
let app;

beforeAll(async () => {
  app = await startSignupApp({ smtpPort: Number(process.env.MAILNEST_SMTP_PORT) });
});

afterAll(async () => {
  await app?.close();
});

test("a new user confirms their address through the link in the confirmation mail", async () => {
  const inbox = await mail.createInbox({ prefix: "jest-signup" });

  await app.signUp(inbox.address);
  const message = await inbox.waitForMessage({ subject: /confirm your email/i });

  const link = message.link({ text: /confirm/i });
  expect(link.href).toContain("/confirm?token=");
  const page = await fetch(link.href);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("Email confirmed");
  expect(app.isConfirmed(inbox.address)).toBe(true);
  await inbox.delete();
});

test("the matchers work from the one-line setupFilesAfterEnv", async () => {
  const inbox = await mail.createInbox({ prefix: "jest-matchers" });
  await app.signUp(inbox.address);

  await expect(inbox).toReceiveMessage({ subject: /confirm/i, from: "noreply@app.test" });
  await expect(inbox).not.toReceiveMessage({}, { timeout: 200 });

  const message = (await inbox.messages())[0];
  expect(message).toHaveLink(/\/confirm\?token=/);
  expect(message).not.toHaveLink(/reset/);
  expect(message).toHaveHeader("list-unsubscribe", /unsubscribe/);
  expect(message).not.toHaveAttachment();
  await inbox.delete();
});

test("arm, then act: nextMessage catches mail sent before it is awaited", async () => {
  const inbox = await mail.createInbox({ prefix: "jest-armed" });
  const next = inbox.nextMessage({ subject: /confirm/i });
  await app.signUp(inbox.address);
  expect((await next).code()).toMatch(/^\d{6}$/);
  await inbox.delete();
});

test("a failing wait explains itself, as an error from the CommonJS build", async () => {
  const inbox = await mail.createInbox({ prefix: "jest-timeout" });
  await app.signUp(inbox.address);

  const failure = await expect(inbox)
    .toReceiveMessage({ subject: /reset your password/i }, { timeout: 300 })
    .catch((error) => error);
  expect(failure.message).toContain(
    `Timed out after 300 ms waiting for 1 message to "${inbox.address}" with subject /reset your password/i.`,
  );
  expect(failure.message).toContain(
    'subject "Confirm your email address" does not match /reset your password/i',
  );

  const error = await inbox.waitForMessage({ subject: "nope" }, { timeout: 0 }).catch((caught) => caught);
  expect(error).toBeInstanceOf(WaitTimeoutError);
  expect(isWaitTimeoutError(error)).toBe(true);
  await inbox.delete();
});
