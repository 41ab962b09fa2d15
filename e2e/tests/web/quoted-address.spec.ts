import { expect, test } from "@playwright/test";
import { sendRawSmtp } from "../../support/raw-smtp.js";
import { inboxUrl, messageRow, openViewer } from "../../support/viewer.js";

test("an inbox with a quoted local part is shown as text and opens from its own link", async ({ page }) => {
  // RFC 5321 lets a quoted local part hold spaces and angle brackets: markup, as far as a page is concerned.
  const unique = Math.random().toString(36).slice(2, 8);
  const address = `"<img src=x onerror=window.__pwned=1> ${unique}"@mailnest.test`;
  await sendRawSmtp(
    { from: "app@example.test", to: [address] },
    `From: app@example.test\nTo: ${address}\nSubject: Quoted ${unique}\n\nhi\n`,
  );

  await openViewer(page, inboxUrl(address));
  await expect(messageRow(page, `Quoted ${unique}`)).toBeVisible();
  const entry = page.getByRole("navigation", { name: "Inboxes" }).getByRole("link", { name: address });
  await expect(entry).toHaveAttribute("aria-current", "page");
  await expect(entry).toContainText(address);

  await messageRow(page, `Quoted ${unique}`).click();
  await expect(page.getByRole("heading", { level: 1, name: `Quoted ${unique}` })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: `Quoted ${unique}` })).toBeVisible();
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(await page.locator("img[src=x]").count()).toBe(0);
});
