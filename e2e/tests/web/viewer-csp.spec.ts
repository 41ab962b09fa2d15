import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { mailnestUrl } from "../../support/sandbox-env.js";
import { inboxUrl, messageRow, openViewer, previewFrame } from "../../support/viewer.js";

// A 1×1 PNG, for the cid: image.
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** What the page reports as a CSP violation: DOM events in the viewer, console errors from any frame. */
interface Violations {
  events: string[];
  console: string[];
}

test("the viewer works under its own Content-Security-Policy and violates none of it", async ({ page }) => {
  const violations: Violations = { events: [], console: [] };
  page.on("console", (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) {
      violations.console.push(message.text());
    }
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as { __cspViolations?: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) => {
      seen.push(`${event.effectiveDirective} ${event.blockedURI}`);
    });
  });

  // The page itself comes with the policy: no inline script, no eval.
  const pageResponse = await page.request.get(`${mailnestUrl()}/`);
  const policy = pageResponse.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("script-src 'self';");
  expect(policy).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);

  const address = freshAddress("csp");
  // The live connection opening is the WebSocket passing `connect-src 'self'`.
  await openViewer(page, inboxUrl(address));
  await sendMail({
    from: "Shop <noreply@shop.test>",
    to: address,
    subject: "Styled receipt",
    text: "Thanks for your order.",
    html: `<style>#title { color: rgb(200, 0, 0); }</style>
      <h1 id="title" style="background-color: rgb(0, 0, 200)">Thanks for your order</h1>
      <p><img alt="logo" src="cid:logo@shop.test"></p>`,
    attachments: [
      { filename: "logo.png", content: PIXEL_PNG, cid: "logo@shop.test", contentType: "image/png" },
      { filename: "notes.txt", content: "notes", contentType: "text/plain" },
    ],
  });

  await messageRow(page, "Styled receipt").click();
  await expect(page.getByRole("heading", { level: 1, name: "Styled receipt" })).toBeVisible();

  // The HTML tab (a srcdoc frame, which inherits the page's policy) still renders the mail's own
  // styles and its cid: image.
  const title = previewFrame(page).locator("#title");
  await expect(title).toHaveText("Thanks for your order");
  expect(await title.evaluate((element) => getComputedStyle(element).color)).toBe("rgb(200, 0, 0)");
  expect(await title.evaluate((element) => getComputedStyle(element).backgroundColor)).toBe("rgb(0, 0, 200)");
  await expect
    .poll(() =>
      previewFrame(page)
        .locator("img[alt=logo]")
        .evaluate((image: HTMLImageElement) => image.naturalWidth),
    )
    .toBe(1);

  for (const tab of ["Text", "Headers", "Source", /Attachments/]) {
    await page.getByRole("tab", { name: tab }).click();
    await expect(page.getByRole("tabpanel")).toBeVisible();
  }
  await expect(page.getByRole("tabpanel")).toContainText("notes.txt");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Styled receipt" })).toBeVisible();

  violations.events = await page.evaluate(
    () => (window as { __cspViolations?: string[] }).__cspViolations ?? ["init script did not run"],
  );
  expect(violations).toEqual({ events: [], console: [] });
});
