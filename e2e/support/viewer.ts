import { mkdir } from "node:fs/promises";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { SCREENSHOT_DIR } from "./paths.js";
import { mailnestUrl } from "./sandbox-env.js";

/** The viewer's URL for an inbox (and optionally a message) on the shared sandbox. */
export function inboxUrl(address: string, messageId?: string, base: string = mailnestUrl()): string {
  const inbox = `${base}/inbox/${encodeURIComponent(address)}`;
  return messageId ? `${inbox}/${messageId}` : inbox;
}

/**
 * Opens the viewer and waits until its WebSocket is connected, so mail sent afterwards can only
 * reach the page through a live update.
 */
export async function openViewer(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.locator(".connection-live")).toBeAttached();
}

/** The row of the message with exactly this subject in the list. */
export function messageRow(page: Page, subject: string) {
  const exact = new RegExp(`^${subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  return page.locator(".message-list .row").filter({ has: page.locator(".row-subject", { hasText: exact }) });
}

/** The HTML preview's frame. */
export function previewFrame(page: Page) {
  return page.frameLocator("iframe.preview-frame");
}

/** Saves a full-window screenshot for review under e2e/test-results/screenshots/. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
