import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { inboxUrl, messageRow, openViewer } from "../../support/viewer.js";

test("a second identical message (same bytes and envelope) is marked as a duplicate in the list", async ({
  page,
}) => {
  const address = freshAddress("dupe");
  await openViewer(page, inboxUrl(address));
  const raw = [
    "From: Shop <shop@app.test>",
    `To: ${address}`,
    "Subject: Your receipt",
    "Message-ID: <receipt-dupe@app.test>",
    "Date: Tue, 01 Dec 2026 10:00:00 +0000",
    "",
    "Thank you for your order.",
    "",
  ].join("\r\n");
  const envelope = { from: "shop@app.test", to: [address] };
  await sendMail({ envelope, raw });
  await expect(messageRow(page, "Your receipt")).toHaveCount(1);
  await expect(page.locator(".row-duplicate")).toHaveCount(0);

  await sendMail({ envelope, raw });
  await expect(messageRow(page, "Your receipt")).toHaveCount(2);
  // Newest first: the later copy carries the badge, the first does not.
  await expect(page.locator(".row-duplicate")).toHaveCount(1);
  await expect(messageRow(page, "Your receipt").first().locator(".row-duplicate")).toHaveText(/duplicate/i);
});
