import { expect, test } from "@mailnest/client/playwright";
import { mailnestSmtpPort } from "../../support/sandbox-env.js";
import { type SignupApp, startSignupApp } from "./signup-app.js";

// The SDK's own fixtures: `inbox` is a fresh inbox per test, `mail` the worker's client. Both talk
// to the run's Mailnest through MAILNEST_URL, which global-setup.ts sets.
let app: SignupApp;

test.beforeAll(async () => {
  app = await startSignupApp(mailnestSmtpPort());
});

test.afterAll(async () => {
  await app?.close();
});

test("a visitor signs up and confirms their address through the emailed link", async ({ page, inbox }) => {
  await page.goto(app.url);
  await page.getByLabel("Email").fill(inbox.address);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByRole("heading")).toHaveText("Check your inbox");

  const message = await inbox.waitForMessage({ subject: /confirm your email/i });
  expect(message).toHaveLink({ text: /confirm/i });

  await page.goto(message.link({ text: /confirm/i }).href);
  await expect(page.getByRole("heading")).toHaveText("Email confirmed");
  await expect(page.locator("#email")).toHaveText(inbox.address);
});

test("arm, then act: the wait armed before the click catches the mail the click sends", async ({
  page,
  inbox,
}) => {
  await page.goto(app.url);
  await page.getByLabel("Email").fill(inbox.address);

  const confirmation = inbox.nextMessage({ from: "noreply@app.test" });
  await page.getByRole("button", { name: "Sign up" }).click();
  const message = await confirmation;

  expect(message.to).toEqual([{ name: "", address: inbox.address }]);
  await expect(inbox).not.toReceiveMessage({}, { timeout: 300 });
});

test("each test gets its own inbox, named after the test", async ({ inbox, mail }) => {
  expect(inbox.address).toMatch(/^each-test-gets-its-own-i-[a-z0-9]+@/);
  const other = await mail.createInbox();
  expect(other.address).not.toBe(inbox.address);
  await other.delete();
});
