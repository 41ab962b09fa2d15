import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { mailnestUrl } from "../../support/sandbox-env.js";
import { inboxUrl, messageRow, openViewer } from "../../support/viewer.js";

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${mailnestUrl()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, path).toBe(201);
  return (await response.json()) as Record<string, unknown>;
}

test("the Authentication tab says whether a receiver would trust the message, and why; the list shows a badge", async ({
  page,
}) => {
  // A domain of this test's own, with a DKIM key, SPF that does not allow loopback, and DMARC.
  const domain = `t-${randomBytes(4).toString("hex")}.test`;
  const key = await post("/api/dns/dkim-keys", { domain, selector: "s1" });
  await post("/api/dns/records", { name: domain, type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
  await post("/api/dns/records", { name: `_dmarc.${domain}`, type: "TXT", value: "v=DMARC1; p=reject" });
  const address = freshAddress("auth");
  await openViewer(page, inboxUrl(address));

  await sendMail({
    from: `App <app@${domain}>`,
    to: address,
    subject: "Signed receipt",
    text: "Thanks",
    dkim: { domainName: domain, keySelector: "s1", privateKey: String(key.privateKeyPem) },
  });
  await sendMail({ from: `App <app@${domain}>`, to: address, subject: "Forged receipt", text: "Pay here" });

  await expect(messageRow(page, "Signed receipt").locator(".row-auth")).toHaveText(/dmarc pass/i);
  await expect(messageRow(page, "Forged receipt").locator(".row-auth")).toHaveText(/dmarc fail/i);

  await messageRow(page, "Forged receipt").click();
  await page.getByRole("tab", { name: "Authentication" }).click();
  const panel = page.getByRole("tabpanel");
  await expect(panel).toContainText(`Would be rejected: DMARC fails for ${domain} (p=reject).`);
  await expect(panel).toContainText("The message is not signed");
  await expect(panel).toContainText(
    `127.0.0.1 is not permitted: "-all" in the SPF record of ${domain} fails it`,
  );
  await expect(page).toHaveURL(/\?tab=auth$/);

  await messageRow(page, "Signed receipt").click();
  await page.getByRole("tab", { name: "Authentication" }).click();
  await expect(panel).toContainText(`Would be trusted: DMARC passes for ${domain} (aligned through DKIM).`);
  await expect(panel.getByRole("table").first()).toContainText("2048 bits");
});
