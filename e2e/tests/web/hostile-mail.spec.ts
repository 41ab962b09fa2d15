import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { expect, type Frame, type Page, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { recordNetwork } from "../../support/network-log.js";
import { inboxUrl, messageRow, openViewer, previewFrame } from "../../support/viewer.js";

/**
 * Every payload, if it ever ran, would leave a mark we can read: `__pwned` on the window it ran in
 * or on the viewer (parent/top), or `data-pwned` on the frame's <html>. Remote URLs all point at
 * evil.example, which the network log records (and aborts).
 */
const HOSTILE_HTML = `<!doctype html>
<html manifest="http://evil.example/manifest">
<head>
<base href="http://evil.example/base/">
<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">
<link rel="stylesheet" href="http://evil.example/style.css">
<link rel="prefetch" href="http://evil.example/prefetch">
<link rel="preload" as="image" href="http://evil.example/preload.png">
<style>
  @import url("http://evil.example/import.css");
  body { background: url(http://evil.example/body-bg.png); }
  @font-face { font-family: evil; src: url(http://evil.example/font.woff); }
  h1 { font-family: evil, sans-serif; }
</style>
<script>window.__pwned = "script"; parent.__pwned = "script"; document.documentElement.dataset.pwned = "script";</script>
<script src="http://evil.example/external.js"></script>
</head>
<body onload="document.documentElement.dataset.pwned = 'body-onload'; parent.__pwned = 'body-onload'">
<h1 id="hostile-title">Totally normal newsletter</h1>
<img id="tracker" src="http://evil.example/pixel.gif" width="1" height="1" alt="">
<img src="relative-image.png" alt="relative">
<img src="x" onerror="document.documentElement.dataset.pwned = 'img-onerror'; top.__pwned = 'img-onerror'">
<img srcset="http://evil.example/srcset.png 2x" alt="">
<svg onload="document.documentElement.dataset.pwned = 'svg-onload'; parent.__pwned = 'svg-onload'"><image href="http://evil.example/svg-image.png" width="10" height="10"/></svg>
<svg width="120" height="24"><a id="svg-set-link"><set attributeName="href" to="javascript:parent.__pwned='svg-set';document.documentElement.dataset.pwned='svg-set'"/><text x="0" y="16">SVG link</text></a></svg>
<div style="background-image: url('http://evil.example/div-bg.png')">styled</div>
<a id="js-link" href="javascript:parent.__pwned='js-link';document.documentElement.dataset.pwned='js-link'">Click me</a>
<a id="data-link" href="data:text/html,<script>opener.__pwned='data-link'</script>">Data link</a>
<a id="ping-link" href="https://example.com/" ping="http://evil.example/ping">Pinged link</a>
<form action="http://evil.example/form" method="post">
  <input name="q" value="1" autofocus onfocus="parent.__pwned = 'onfocus'; document.documentElement.dataset.pwned = 'onfocus'">
  <button id="submit" type="submit">Send</button>
</form>
<iframe src="http://evil.example/frame"></iframe>
<iframe srcdoc="<script>parent.parent.__pwned = 'nested-srcdoc'</script>"></iframe>
<object data="http://evil.example/object.swf"></object>
<embed src="http://evil.example/embed.swf">
<video poster="http://evil.example/poster.png" src="http://evil.example/video.mp4"></video>
<input type="image" src="http://evil.example/input.png" alt="image input">
<table background="http://evil.example/table-bg.png"><tr><td>cell</td></tr></table>
<details open ontoggle="parent.__pwned = 'ontoggle'; document.documentElement.dataset.pwned = 'ontoggle'">details</details>
</body></html>`;

/** URLs that must never be requested, not even after the user allows remote content. */
const NEVER_REQUESTED =
  /refresh|\/frame|external\.js|object\.swf|embed\.swf|\/ping|\/form|prefetch|preload|manifest|base\//;

function htmlFrame(page: Page): Frame {
  const frame = page.frames().find((candidate) => /^about:srcdoc(#|$)/.test(candidate.url()));
  if (!frame)
    throw new Error(
      `no srcdoc frame among ${page
        .frames()
        .map((f) => f.url())
        .join(", ")}`,
    );
  return frame;
}

async function expectNoScriptRan(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  for (const frame of page.frames()) {
    expect(await frame.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await frame.evaluate(() => document.documentElement.dataset.pwned)).toBeUndefined();
  }
}

test("a hostile HTML body runs no script and loads nothing remote until remote content is allowed", async ({
  page,
  context,
}) => {
  const network = await recordNetwork(context);
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const popups: string[] = [];
  context.on("page", (opened) => popups.push(opened.url()));

  const address = freshAddress("hostile");
  await openViewer(page, inboxUrl(address));
  await sendMail({
    from: "news@evil.example",
    to: address,
    subject: "Hostile newsletter",
    html: HOSTILE_HTML,
  });
  await messageRow(page, "Hostile newsletter").click();

  const preview = previewFrame(page);
  await expect(preview.locator("#hostile-title")).toHaveText("Totally normal newsletter");
  await htmlFrame(page).waitForLoadState("load");

  // Each layer is in place on its own: the sandbox (no scripts, opaque origin) and the CSP, first in <head>.
  const sandboxFlags =
    (await page.locator("iframe.preview-frame").getAttribute("sandbox"))?.split(/\s+/) ?? [];
  expect(sandboxFlags).not.toContain("allow-scripts");
  expect(sandboxFlags).not.toContain("allow-same-origin");
  expect(await htmlFrame(page).evaluate(() => window.origin)).toBe("null");
  const firstInHead = await htmlFrame(page).evaluate(() => document.head.firstElementChild?.outerHTML ?? "");
  expect(firstInHead).toMatch(
    /^<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none';/,
  );

  // Interacting with the bait does nothing either.
  await preview.locator("#js-link").click();
  await preview.locator("#data-link").click();
  await preview.locator("#submit").click();
  await preview.getByText("SVG link").click();
  await preview.locator("details summary, details").first().click();

  await expectNoScriptRan(page);
  expect(network.remote).toEqual([]);
  expect(network.all.filter((url) => url.includes("relative-image"))).toEqual([]);
  await expect(page.getByText("remote resources blocked")).toBeVisible();

  // The user allows remote content for this message: the tracking pixel is now requested (and
  // aborted by the route), while what the sanitizer removed stays removed.
  await page.getByRole("button", { name: "Load remote content" }).click();
  await expect(page.getByText("Remote content loaded")).toBeVisible();
  await expect(preview.locator("#hostile-title")).toBeVisible();
  await expect.poll(() => network.remote).toContain("http://evil.example/pixel.gif");
  await expect.poll(() => network.remote).toContain("http://evil.example/style.css");
  await htmlFrame(page).waitForLoadState("load");

  await expectNoScriptRan(page);
  expect(network.remote.filter((url) => NEVER_REQUESTED.test(url))).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(popups).toEqual([]);
});

test("script in the subject, from name, header values and attachment filename is shown as text", async ({
  page,
  context,
}) => {
  const network = await recordNetwork(context);
  const address = freshAddress("hostile-meta");
  const subject = `<img src=x onerror="window.__pwned='subject'"><script>window.__pwned='subject'</script>`;
  const fromName = `<svg onload="window.__pwned='from'">`;
  const filename = `<img src=x onerror="window.__pwned='filename'">.html`;

  await openViewer(page, inboxUrl(address));
  await sendMail({
    from: { name: fromName, address: "attacker@evil.example" },
    to: address,
    subject,
    headers: { "X-Evil": `<script>window.__pwned='header'</script>` },
    text: `<script>window.__pwned='text'</script>`,
    attachments: [
      { filename, content: `<script>window.__pwned='attachment'</script>`, contentType: "text/html" },
    ],
  });

  const row = messageRow(page, subject);
  await expect(row).toBeVisible();
  await expect(row.locator(".row-from")).toContainText(fromName);
  await row.click();

  await expect(page.getByRole("heading", { level: 1 })).toHaveText(subject);
  await expect(page.locator(".message-meta")).toContainText(fromName);
  await expect(page.getByRole("tabpanel")).toContainText(`<script>window.__pwned='text'</script>`);

  await page.getByRole("tab", { name: "Headers" }).click();
  await expect(page.locator(".headers-table")).toContainText(`<script>window.__pwned='header'</script>`);

  await page.getByRole("tab", { name: "Source" }).click();
  await expect(page.locator(".source")).toContainText("X-Evil");

  await page.getByRole("tab", { name: /Attachments/ }).click();
  await expect(page.locator(".attachment-name")).toContainText(filename);

  // The attachment endpoint cannot be used as a page, a script or a stylesheet.
  const href = await page.getByRole("link", { name: /^Download / }).getAttribute("href");
  const response = await page.request.get(new URL(href!, page.url()).toString());
  expect(response.headers()["content-disposition"]).toMatch(/^attachment;/);
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");

  await expectNoScriptRan(page);
  expect(network.remote).toEqual([]);
});

test("HTML that parses into another tree the second time (mutation XSS) loads nothing in the preview either", async ({
  page,
  context,
}) => {
  // A listener on loopback stands for the tracker: an <iframe> the first parse hid inside a
  // <style>, and the preview's own parse would have made an element, connected to it.
  const connections: string[] = [];
  const tracker = createServer((socket) => {
    connections.push(String(socket.remoteAddress));
    socket.destroy();
  });
  await new Promise<void>((resolve) => tracker.listen(0, "127.0.0.1", resolve));
  const port = (tracker.address() as AddressInfo).port;
  try {
    const network = await recordNetwork(context);
    const address = freshAddress("mxss");
    await openViewer(page, inboxUrl(address));
    await sendMail({
      from: "news@evil.example",
      to: address,
      subject: "Mutating newsletter",
      html:
        `<p id="mx-title">hi</p>` +
        `<math><mtext><table><mglyph><style><div><iframe src="http://127.0.0.1:${port}/frame"></iframe>` +
        `<img src="x" onerror="parent.__pwned='mxss'"><a id="mx-link" href="javascript:parent.__pwned='mxss-link'">x</a>` +
        `<meta http-equiv="refresh" content="0;url=http://127.0.0.1:${port}/refresh"></div></style></mglyph></table></mtext></math>` +
        `<form><math><mtext></form><form><mglyph><style></math><iframe src="http://127.0.0.1:${port}/form-frame"></iframe></style></mglyph></form></mtext></math></form>`,
    });
    await messageRow(page, "Mutating newsletter").click();
    await expect(previewFrame(page).locator("#mx-title")).toHaveText("hi");
    await htmlFrame(page).waitForLoadState("load");

    // What the preview parsed holds none of what cleaning removes.
    const left = await htmlFrame(page).evaluate(
      () =>
        document.querySelectorAll('iframe, [onerror], meta[http-equiv="refresh"], a[href^="javascript:"]')
          .length,
    );
    expect(left).toBe(0);
    await page.waitForTimeout(500);
    expect(connections).toEqual([]);
    await expectNoScriptRan(page);
    expect(network.remote).toEqual([]);
  } finally {
    await new Promise<void>((resolve) => tracker.close(() => resolve()));
  }
});

test("an in-page #link scrolls within the preview", async ({ page }) => {
  const address = freshAddress("anchor");
  await openViewer(page, inboxUrl(address));
  const filler = Array.from({ length: 200 }, (_, i) => `<p>line ${i}</p>`).join("");
  await sendMail({
    from: "news@example.test",
    to: address,
    subject: "Long newsletter",
    html: `<a id="toc" href="#part-two">Part two</a>${filler}<h2 id="part-two">Part two</h2>${filler}`,
  });
  await messageRow(page, "Long newsletter").click();
  await previewFrame(page).locator("#toc").click();

  await expect.poll(() => htmlFrame(page).url()).toBe("about:srcdoc#part-two");
  const position = await htmlFrame(page).evaluate(() => ({
    top: document.getElementById("part-two")?.getBoundingClientRect().top ?? -1,
    height: innerHeight,
    scrolled: scrollY,
  }));
  expect(position.scrolled).toBeGreaterThan(0);
  expect(position.top).toBeGreaterThan(-1); // at the top, give or take a subpixel
  expect(position.top).toBeLessThan(position.height);
});
