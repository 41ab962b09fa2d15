import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";
import { inboxUrl, messageRow } from "../../support/viewer.js";

const TOKEN = "s3cret-token-for-e2e";
const own = useOwnSandbox({ apiToken: TOKEN });

test("with --api-token the viewer asks for the token once, then works live and downloads with it", async ({
  page,
}) => {
  const address = freshAddress("token");
  const smtpPort = own.sandbox.smtpPort;
  await sendMail(
    {
      from: "a@example.test",
      to: address,
      subject: "Behind a token",
      text: "hi",
      attachments: [{ filename: "a.txt", content: "attachment text" }],
    },
    smtpPort,
  );

  await page.goto(inboxUrl(address, undefined, own.sandbox.url));
  const dialog = page.getByRole("dialog", { name: "API token required" });
  await expect(dialog).toBeVisible();
  // Escape does not dismiss it: without the token there is nothing to show.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeVisible();
  // The top bar says why nothing shows: the server wants a token, it is not offline.
  await expect(page.locator(".connection-locked")).toHaveText("Token required");

  await dialog.getByLabel("Token").fill("wrong-token");
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByRole("alert")).toHaveText(/not accepted/);

  await dialog.getByLabel("Token").fill(TOKEN);
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();
  await expect(messageRow(page, "Behind a token")).toBeVisible();

  // The WebSocket reconnected with ?token=: live updates work.
  await expect(page.locator(".connection-live")).toBeAttached();
  await sendMail(
    { from: "a@example.test", to: address, subject: "Live behind a token", text: "hi" },
    smtpPort,
  );
  // No poll and no reload: only the live WebSocket can bring this row (the default wait, not a
  // timed bound that measures the CI machine's load).
  await expect(messageRow(page, "Live behind a token")).toBeVisible();

  // Downloads carry the token in the URL (a link cannot send a header).
  await messageRow(page, "Behind a token").click();
  await page.getByRole("tab", { name: /Attachments/ }).click();
  const downloadStarted = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download a.txt" }).click();
  const download = await downloadStarted;
  expect(await readFile((await download.path())!, "utf8")).toBe("attachment text");

  // The token is kept for the tab: a reload does not ask again.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Behind a token" })).toBeVisible();
  await expect(dialog).toBeHidden();
});
