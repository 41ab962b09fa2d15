import { expect, test } from "@playwright/test";
import { sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";
import { inboxUrl, messageRow, saveScreenshot } from "../../support/viewer.js";

/** The viewer shows generated reports as such, and lists the fault and report rules with their logs. */

const own = useOwnSandbox();

test("a bounce is marked as a report in the list and the message view, and the Rules dialog shows rules and logs", async ({
  page,
}) => {
  const api = (path: string, body: unknown) =>
    fetch(`${own.sandbox.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  expect(
    (await api("/api/faults", { behavior: "greylist", delayMs: 60_000, to: "grey@customer.test" })).status,
  ).toBe(201);
  expect(
    (await api("/api/reports", { kind: "complaint", to: "reader@customer.test", times: 3 })).status,
  ).toBe(201);

  await sendMail(
    { from: "app@shop.test", to: "bounce@customer.test", subject: "Your order", text: "x" },
    own.sandbox.smtpPort,
  );
  await expect.poll(() => own.sandbox.store.messageCount).toBe(2);

  await page.goto(inboxUrl("app@shop.test", undefined, own.sandbox.url));
  const row = messageRow(page, "Undelivered Mail Returned to Sender");
  await expect(row).toContainText("report");
  await row.click();
  await expect(page.locator(".report-note")).toContainText(
    "Bounce report (DSN) made by Mailnest for simulator address bounce@ about the original message",
  );

  await page.getByRole("button", { name: "Rules" }).click();
  const dialog = page.getByRole("dialog", { name: "Faults and reports" });
  await expect(dialog.getByRole("row", { name: /greylist at rcpt/ })).toContainText(
    "451 4.7.1 until a retry 60000 ms later",
  );
  await expect(dialog.getByRole("row", { name: /complaint/ })).toContainText("to reader@customer.test");
  await dialog.getByText(/^Report log/).click();
  await expect(dialog).toContainText("bounce (failed 5.1.1) to app@shop.test");
  await saveScreenshot(page, "rules-dialog");
  await dialog
    .getByRole("row", { name: /complaint/ })
    .getByRole("button", { name: "Remove" })
    .click();
  await expect(dialog).toContainText("No report rule.");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
});
