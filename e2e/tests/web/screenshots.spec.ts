import { expect, type Page, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";
import { inboxUrl, messageRow, previewFrame, saveScreenshot } from "../../support/viewer.js";

/**
 * Screenshots of the main views, desktop (1280 px) and phone (375 px), light and dark, saved under
 * e2e/test-results/screenshots/ for a human to look at. A server of its own keeps the sidebar
 * free of other tests' inboxes, so the pictures are the same from run to run.
 */

const RECEIPT_HTML = `<!doctype html>
<html><body style="margin:0;background:#f3f4f6;font-family:Helvetica,Arial,sans-serif;color:#111827">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:10px" cellpadding="0" cellspacing="0">
<tr><td style="padding:28px 32px 8px"><div style="font-size:20px;font-weight:bold;color:#4f46e5">Acme Store</div></td></tr>
<tr><td style="padding:8px 32px"><h1 style="font-size:22px;margin:0 0 8px">Thanks for your order, Ada!</h1>
<p style="margin:0 0 16px;color:#4b5563;line-height:1.5">Order <strong>#10042</strong> is confirmed and will ship within two business days.</p></td></tr>
<tr><td style="padding:0 32px"><table width="100%" cellpadding="0" cellspacing="0" style="border-top:1px solid #e5e7eb;font-size:14px">
<tr><td style="padding:10px 0">Mechanical keyboard</td><td align="right">€89.00</td></tr>
<tr><td style="padding:10px 0;border-top:1px solid #e5e7eb">USB-C cable ×2</td><td align="right" style="border-top:1px solid #e5e7eb">€18.00</td></tr>
<tr><td style="padding:10px 0;border-top:1px solid #e5e7eb;font-weight:bold">Total</td><td align="right" style="border-top:1px solid #e5e7eb;font-weight:bold">€107.00</td></tr>
</table></td></tr>
<tr><td style="padding:24px 32px 32px"><a href="https://store.example/orders/10042" style="display:inline-block;background:#4f46e5;color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">View your order</a>
<img src="https://tracking.example/open.gif" width="1" height="1" alt=""></td></tr>
</table></td></tr></table></body></html>`;

const own = useOwnSandbox();
let address: string;

test.beforeAll(async () => {
  address = freshAddress("ada");
  const port = own.sandbox.smtpPort;
  const other = freshAddress("signup");
  await sendMail(
    {
      from: "GitHub <noreply@github.example>",
      to: other,
      subject: "Please verify your email address",
      text: "Your code is 493 112.",
    },
    port,
  );
  await sendMail(
    {
      from: "Calendar <calendar@work.example>",
      to: address,
      subject: "Invitation: Sprint review @ Thu 15:00",
      text: "You have been invited to Sprint review on Thursday at 15:00 in room Ada.",
    },
    port,
  );
  await sendMail(
    {
      from: "Billing <billing@cloud.example>",
      to: address,
      subject: "Your invoice for November",
      text: "Your invoice INV-2291 of €42.00 is attached.",
      attachments: [
        { filename: "INV-2291.pdf", content: Buffer.from("%PDF-1.4 fake"), contentType: "application/pdf" },
      ],
    },
    port,
  );
  await sendMail(
    {
      from: "Security <security@bank.example>",
      to: address,
      subject: "New sign-in from Firefox on Linux",
      text: "We noticed a new sign-in to your account. If this was you, there is nothing to do.",
    },
    port,
  );
  await sendMail(
    {
      envelope: { from: "bounces+10042@mailer.store.example", to: [address] },
      from: "Acme Store <orders@store.example>",
      to: `Ada Lovelace <${address}>`,
      subject: "Your order #10042 is confirmed",
      text: "Thanks for your order, Ada! Order #10042 is confirmed. View it at https://store.example/orders/10042",
      html: RECEIPT_HTML,
    },
    port,
  );
});

async function captureViews(page: Page, prefix: string, mobile: boolean): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(inboxUrl(address, undefined, own.sandbox.url));
    await expect(messageRow(page, "Your order #10042 is confirmed")).toBeVisible();
    await expect(page.locator(".connection-live")).toBeAttached();
    if (mobile) await saveScreenshot(page, `${prefix}-${scheme}-list`);

    await messageRow(page, "Your order #10042 is confirmed").click();
    await expect(previewFrame(page).getByText("Thanks for your order, Ada!")).toBeVisible();
    await saveScreenshot(page, `${prefix}-${scheme}-message-html`);

    await page.getByRole("tab", { name: "Headers" }).click();
    await expect(page.locator(".compare-table")).toBeVisible();
    await saveScreenshot(page, `${prefix}-${scheme}-message-headers`);

    // Leave the message unread again so the next pass shows the same list.
    await page.getByRole("button", { name: "Mark unread" }).click();
    await expect(page.getByRole("button", { name: "Mark read" })).toBeVisible();
  }
}

test("screenshots of the list, the HTML view and the headers at 1280 px, light and dark", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await captureViews(page, "desktop-1280", false);
});

test("screenshots of the list, the HTML view and the headers at 375 px, light and dark", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  await captureViews(page, "mobile-375", true);
});
