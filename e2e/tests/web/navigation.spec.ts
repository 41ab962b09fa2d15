import { expect, type Page, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { inboxUrl, messageRow, openViewer } from "../../support/viewer.js";

/** Sends `subjects` in order (so the last one is newest, first in the list) and waits for all rows. */
async function fillInbox(page: Page, address: string, subjects: string[]): Promise<void> {
  await openViewer(page, inboxUrl(address));
  for (const subject of subjects) {
    await sendMail({ from: "qa@example.test", to: address, subject, text: `Body of ${subject}` });
  }
  for (const subject of subjects) await expect(messageRow(page, subject)).toBeVisible();
}

test("a deep link names the inbox, the message and the tab, and a reload restores that view", async ({
  page,
}) => {
  const address = freshAddress("deep");
  await fillInbox(page, address, ["Deep link target"]);
  await messageRow(page, "Deep link target").click();
  await page.getByRole("tab", { name: "Headers" }).click();
  await expect(page).toHaveURL(
    new RegExp(`/inbox/${encodeURIComponent(address)}/[0-9a-z]{26}\\?tab=headers$`),
  );

  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Deep link target" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Headers" })).toHaveAttribute("aria-selected", "true");
  await expect(page.locator(".compare-table")).toContainText(address);
  await expect(page.getByRole("link", { name: address })).toHaveAttribute("aria-current", "page");

  // The same link opened in a fresh tab (a bug report) shows the same thing.
  const pasted = await page.context().newPage();
  await pasted.goto(page.url());
  await expect(pasted.getByRole("heading", { level: 1, name: "Deep link target" })).toBeVisible();
  await pasted.close();

  // Back leaves the message for the list.
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(0);
});

test("j/k and the arrow keys move through the list, Enter opens, Delete deletes, / searches, Escape goes back", async ({
  page,
}) => {
  const address = freshAddress("keys");
  await fillInbox(page, address, ["Key one", "Key two", "Key three"]);
  // Newest first: three, two, one.
  await page.keyboard.press("j");
  await expect(messageRow(page, "Key three")).toBeFocused();
  await page.keyboard.press("j");
  await expect(messageRow(page, "Key two")).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(messageRow(page, "Key one")).toBeFocused();
  await page.keyboard.press("k");
  await expect(messageRow(page, "Key two")).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(messageRow(page, "Key three")).toBeFocused();
  await page.keyboard.press("ArrowDown");

  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Key two" })).toBeVisible();
  // While reading, j flips to the next message.
  await page.keyboard.press("j");
  await expect(page.getByRole("heading", { level: 1, name: "Key one" })).toBeVisible();

  await page.keyboard.press("Delete");
  await expect(messageRow(page, "Key one")).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Message deleted" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Key two" })).toBeVisible();

  await page.keyboard.press("Escape");
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(0);
  await expect(messageRow(page, "Key two")).toBeFocused();

  await page.keyboard.press("/");
  await expect(page.getByRole("searchbox", { name: "Search messages" })).toBeFocused();
  await page.keyboard.type("three");
  await expect(messageRow(page, "Key two")).toHaveCount(0);
  await expect(messageRow(page, "Key three")).toBeVisible();
  await expect(page).toHaveURL(/\?q=three$/);
  await page.keyboard.press("Escape");
  await expect(messageRow(page, "Key two")).toBeVisible();
});

test("/ right after Escape keeps what is typed in the search box, however late the next frame runs", async ({
  page,
}) => {
  const address = freshAddress("late-frame");
  await fillInbox(page, address, ["Late one", "Late two"]);
  await messageRow(page, "Late one").click();
  await expect(page.getByRole("heading", { level: 1, name: "Late one" })).toBeVisible();

  // Closing a message focuses its row in the next animation frame. Hold frames back, as a busy
  // machine does, so that `/` and the typing land before that frame.
  await page.evaluate(() => {
    const held: FrameRequestCallback[] = [];
    const scope = window as unknown as { releaseFrames(): void };
    window.requestAnimationFrame = (callback) => held.push(callback);
    scope.releaseFrames = () => {
      for (const callback of held.splice(0)) callback(performance.now());
    };
  });
  await page.keyboard.press("Escape");
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(0);
  await page.keyboard.press("/");
  const search = page.getByRole("searchbox", { name: "Search messages" });
  await expect(search).toBeFocused();
  await page.keyboard.type("tw");
  await page.evaluate(() => (window as unknown as { releaseFrames(): void }).releaseFrames());
  await page.keyboard.type("o");

  await expect(search).toBeFocused();
  await expect(search).toHaveValue("two");
  await expect(page).toHaveURL(/\?q=two$/);
  await expect(messageRow(page, "Late one")).toHaveCount(0);
  await expect(messageRow(page, "Late two")).toBeVisible();
});

test("search filters by subject, sender, recipient and body on the server, and stays live", async ({
  page,
}) => {
  const address = freshAddress("search");
  await openViewer(page, inboxUrl(address));
  await sendMail({
    from: "alice@example.test",
    to: address,
    subject: "Invoice March",
    text: "amount due: 10",
  });
  await sendMail({ from: "bob@example.test", to: address, subject: "Weekly digest", text: "pineapple news" });
  await expect(messageRow(page, "Weekly digest")).toBeVisible();

  const search = page.getByRole("searchbox", { name: "Search messages" });
  const field = page.getByRole("combobox", { name: "Search in" });
  await search.fill("invoice");
  await expect(messageRow(page, "Weekly digest")).toHaveCount(0);
  await expect(messageRow(page, "Invoice March")).toBeVisible();

  await field.selectOption("text");
  await search.fill("pineapple");
  await expect(messageRow(page, "Invoice March")).toHaveCount(0);
  await expect(messageRow(page, "Weekly digest")).toBeVisible();

  await search.fill("from:alice");
  await expect(messageRow(page, "Weekly digest")).toHaveCount(0);
  await expect(messageRow(page, "Invoice March")).toBeVisible();

  // New mail that matches the search appears live; mail that does not, does not.
  await sendMail({ from: "alice@example.test", to: address, subject: "Invoice April", text: "x" });
  await sendMail({ from: "carol@example.test", to: address, subject: "Not from alice", text: "x" });
  await expect(messageRow(page, "Invoice April")).toBeVisible();
  await expect(messageRow(page, "Not from alice")).toHaveCount(0);
});

test("during a search, the mark-read button marks the messages found and no others", async ({ page }) => {
  const address = freshAddress("markfound");
  await fillInbox(page, address, ["Quarterly report", "Quarterly plan", "Lunch"]);
  const search = page.getByRole("searchbox", { name: "Search messages" });
  await search.fill("quarterly");
  await expect(messageRow(page, "Lunch")).toHaveCount(0);
  await page.getByRole("button", { name: "Mark found read" }).click();
  await expect(page.locator(".message-list .row.unread")).toHaveCount(0);
  await search.fill("");
  await expect(messageRow(page, "Lunch")).toHaveClass(/\bunread\b/);
  await expect(messageRow(page, "Quarterly plan")).not.toHaveClass(/\bunread\b/);
  const inboxLink = page.getByRole("navigation", { name: "Inboxes" }).getByRole("link", { name: address });
  await expect(inboxLink).toContainText("1 unread");
});

test("on a phone the search has a row of its own, wide enough to see what is typed", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openViewer(page, inboxUrl(freshAddress("narrow")));
  const search = page.getByRole("searchbox", { name: "Search messages" });
  await search.fill("zebracorn");
  const box = await search.boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(200);
  for (const name of ["Rules", "Webhooks"]) {
    const button = await page.getByRole("button", { name, exact: true }).boundingBox();
    // Not under the search: the buttons keep the first row.
    expect((button?.y ?? 0) + (button?.height ?? 0)).toBeLessThanOrEqual(box?.y ?? 0);
  }
});

test("delete a message, mark all read, and clear an inbox after confirming", async ({ page }) => {
  const address = freshAddress("clear");
  await fillInbox(page, address, ["Clear one", "Clear two", "Clear three"]);
  const inboxLink = page.getByRole("navigation", { name: "Inboxes" }).getByRole("link", { name: address });
  await expect(inboxLink).toContainText("3 unread");

  await messageRow(page, "Clear one").click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(messageRow(page, "Clear one")).toHaveCount(0);
  await expect(inboxLink).toContainText("2 messages");

  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(page.locator(".message-list .row.unread")).toHaveCount(0);
  await expect(inboxLink).not.toContainText("unread");

  await page.getByRole("button", { name: "Clear inbox" }).click();
  const dialog = page.getByRole("dialog", { name: "Clear this inbox?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(messageRow(page, "Clear two")).toBeVisible();

  await page.getByRole("button", { name: "Clear inbox" }).click();
  await dialog.getByRole("button", { name: "Clear inbox" }).click();
  await expect(page.getByText("No mail yet")).toBeVisible();
  await expect(page.locator(".message-list .row")).toHaveCount(0);
});
