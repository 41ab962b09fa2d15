import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { type OwnSandbox, startOwnSandbox } from "../../support/own-sandbox.js";
import { inboxUrl, messageRow } from "../../support/viewer.js";

let device: OwnSandbox;
let staging: OwnSandbox;
let receiver: Server;

test.beforeAll(async () => {
  device = await startOwnSandbox();
  receiver = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  staging = await startOwnSandbox({
    relay: { url: `smtp://127.0.0.1:${device.sandbox.smtpPort}?starttls=off`, allow: ["*@device.test"] },
    webhooks: [hook],
  });
});

test.afterAll(async () => {
  await staging?.close();
  await device?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

test("the Release tab sends a message to an allowed address, refuses others, and the webhook log shows the delivery", async ({
  page,
}) => {
  const address = freshAddress("release");
  await sendMail(
    { from: "app@staging.test", to: address, subject: "Ship it", text: "to the phone" },
    staging.sandbox.smtpPort,
  );
  await page.goto(inboxUrl(address, undefined, staging.sandbox.url));
  await messageRow(page, "Ship it").click();
  await page.getByRole("tab", { name: "Release" }).click();

  const panel = page.getByRole("tabpanel");
  await expect(panel).toContainText("allowed: *@device.test");
  const to = panel.getByLabel(/Release to/);
  await to.fill("ceo@elsewhere.test");
  await panel.getByRole("button", { name: "Release" }).click();
  await expect(panel.getByRole("alert")).toContainText("not allowed by --relay-allow");

  await to.fill("qa@device.test");
  await panel.getByRole("button", { name: "Release" }).click();
  const row = panel.getByRole("row", { name: /qa@device\.test/ });
  await expect(row).toContainText("delivered", { timeout: 15_000 });
  await expect(row).toContainText("250");
  await expect.poll(() => device.sandbox.store.messageCount).toBe(1);

  await page.getByRole("button", { name: "Webhooks" }).click();
  const log = page.getByRole("dialog", { name: "Webhooks" });
  await expect(log).toContainText("message.received");
  await expect(log.getByRole("row", { name: /message\.received/ }).first()).toContainText("delivered");
  await log.getByRole("button", { name: "Close" }).click();
  await expect(log).toBeHidden();
});
