// A newcomer's first test: the app (here nodemailer) sends, the `inbox` fixture waits, and the
// viewer served by the installed package shows the message. Runs under the playwright.config.ts of
// docs/ci.md ("Playwright webServer"), which starts `npx mailnest`.
import { existsSync } from "node:fs";
import { expect, test } from "@mailnest/client/playwright";
import nodemailer from "nodemailer";

// Debian's Chromium where there is one (this project's CI cannot download Playwright's own).
const chromium =
  process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
test.use({
  launchOptions: {
    ...(chromium ? { executablePath: chromium } : {}),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
    ],
  },
});

test("a welcome mail arrives, its link is there, and the viewer shows it", async ({ page, inbox }) => {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: Number(process.env.MAILNEST_SMTP_PORT ?? 1025),
  });
  await transport.sendMail({
    from: "app@example.test",
    to: inbox.address,
    subject: "Welcome aboard",
    html: '<p>Hi! <a href="https://app.example.test/confirm?token=abc">Confirm your address</a></p>',
  });
  transport.close();

  const message = await inbox.waitForMessage({ subject: /welcome/i });
  expect(message.link({ text: /confirm/i }).href).toBe("https://app.example.test/confirm?token=abc");
  await expect(inbox).toHaveNoDuplicates();

  const viewer = process.env.MAILNEST_URL ?? "http://127.0.0.1:8025";
  await page.goto(`${viewer}/inbox/${encodeURIComponent(inbox.address)}/${message.id}`);
  await expect(page.getByText("Welcome aboard").first()).toBeVisible();
});
