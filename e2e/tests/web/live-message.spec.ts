import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { inboxUrl, messageRow, openViewer, previewFrame } from "../../support/viewer.js";

// A 1×1 PNG, for the cid: image.
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

test("a message sent over SMTP appears in the open page without a reload, unread, with a title badge", async ({
  page,
}) => {
  const address = freshAddress("live");
  await openViewer(page, inboxUrl(address));
  await expect(page.getByText("No mail yet")).toBeVisible();

  await sendMail({ from: "Ada <ada@example.test>", to: address, subject: "Live delivery", text: "hello" });

  // The viewer never polls and the page is not reloaded: the row can only come from the live
  // WebSocket. So the default wait proves it; a tighter bound (it was 1 s) only measured how busy
  // the CI machine was (a run with the page's row arriving just after 1 s failed on it).
  const row = messageRow(page, "Live delivery");
  await expect(row).toBeVisible();
  await expect(row).toHaveClass(/\bunread\b/);
  await expect(row.locator(".row-from")).toContainText("Ada");
  await expect(page).toHaveTitle(/^\(\d+\) Mailnest$/);
  const sidebarEntry = page.getByRole("navigation", { name: "Inboxes" }).getByRole("link", { name: address });
  await expect(sidebarEntry).toContainText("1 unread");
});

test("opening a message shows its HTML, text, envelope beside headers, links and attachments", async ({
  page,
}) => {
  const address = freshAddress("views");
  const bcc = freshAddress("views-bcc");
  const attachment = randomBytes(2048);
  await openViewer(page, inboxUrl(address));

  await sendMail({
    envelope: { from: "bounces+42@sender.test", to: [address, bcc] },
    from: "Shop <noreply@shop.test>",
    to: address,
    subject: "Your receipt",
    text: "Thanks for your order. See https://shop.test/orders/42",
    html: `<h1 id="title">Thanks for your order</h1>
      <p><img alt="logo" src="cid:logo@shop.test"></p>
      <p><a href="https://shop.test/orders/42">View your order</a></p>`,
    attachments: [
      { filename: "logo.png", content: PIXEL_PNG, cid: "logo@shop.test", contentType: "image/png" },
      { filename: "receipt.bin", content: attachment, contentType: "application/octet-stream" },
    ],
  });

  await messageRow(page, "Your receipt").click();
  await expect(page).toHaveURL(/\/inbox\/[^/]+\/[0-9a-z]{26}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your receipt" })).toBeVisible();
  await expect(messageRow(page, "Your receipt")).not.toHaveClass(/\bunread\b/);

  // HTML: rendered in the sandboxed frame, the cid: image resolved from the attachment.
  const frame = previewFrame(page);
  await expect(frame.locator("#title")).toHaveText("Thanks for your order");
  await expect
    .poll(() => frame.locator("img[alt=logo]").evaluate((image: HTMLImageElement) => image.naturalWidth))
    .toBe(1);
  await expect(frame.getByRole("link", { name: "View your order" })).toHaveAttribute("target", "_blank");
  await expect(frame.getByRole("link", { name: "View your order" })).toHaveAttribute(
    "rel",
    "noopener noreferrer",
  );

  await page.getByRole("tab", { name: "Text" }).click();
  await expect(page.getByRole("tabpanel")).toContainText(
    "Thanks for your order. See https://shop.test/orders/42",
  );

  await page.getByRole("tab", { name: "Headers" }).click();
  const compare = page.locator(".compare-table");
  await expect(compare.getByRole("row", { name: /From/ })).toContainText("noreply@shop.test");
  await expect(compare.getByRole("row", { name: /From/ })).toContainText("bounces+42@sender.test");
  await expect(compare.getByRole("row", { name: /To/ })).toContainText(bcc);
  await expect(page.locator(".headers-table")).toContainText("Subject");

  await page.getByRole("tab", { name: "Source" }).click();
  await expect(page.locator(".source .hl-name").filter({ hasText: /^Subject$/ })).toBeVisible();

  await page.getByRole("tab", { name: /Links/ }).click();
  await expect(
    page.getByRole("tabpanel").getByRole("link", { name: "https://shop.test/orders/42" }).first(),
  ).toBeVisible();
  await expect(page.getByRole("tabpanel")).toContainText("View your order");

  await page.getByRole("tab", { name: /Attachments/ }).click();
  const attachmentRow = page.getByRole("row", { name: /receipt\.bin/ });
  await expect(attachmentRow).toContainText("application/octet-stream");
  await expect(attachmentRow).toContainText("2 KB");
  const downloadStarted = page.waitForEvent("download");
  await attachmentRow.getByRole("link", { name: "Download receipt.bin" }).click();
  const download = await downloadStarted;
  expect(download.suggestedFilename()).toBe("receipt.bin");
  const downloaded = await readFile((await download.path())!);
  expect(downloaded.equals(attachment)).toBe(true);
});
