import { expect, test } from "@playwright/test";
import { type ForeignPage, serveForeignPage } from "../../support/foreign-page.js";
import { freshAddress, sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";

// A sandbox of its own: the test counts inboxes, which other tests' mail would change.
const own = useOwnSandbox();
let foreign: ForeignPage | undefined;

test.afterAll(async () => {
  await foreign?.close();
});

interface InboxInfo {
  address: string;
  unreadCount: number;
}

async function inboxes(): Promise<InboxInfo[]> {
  const response = await fetch(`${own.sandbox.url}/api/inboxes`);
  return ((await response.json()) as { inboxes: InboxInfo[] }).inboxes;
}

/**
 * The attack of issue #17: requests a page on any site may send without a CORS preflight (no body,
 * or a form's), fired at the sandbox. The page cannot read the answers; it only hopes they act.
 */
function attackPage(target: string, address: string): string {
  const read = `${target}/api/inboxes/${encodeURIComponent(address)}/read`;
  return `<!doctype html><title>elsewhere</title>
<form id="form" method="post" action="${target}/api/inboxes" enctype="text/plain" target="sink">
  <input name="x" value="1">
</form>
<iframe name="sink"></iframe>
<script>
  (async () => {
    // The answers are opaque and, with Cross-Origin-Resource-Policy, fail to load: ignored.
    const ignore = () => {};
    await fetch(${JSON.stringify(read)}, { method: "POST", mode: "no-cors" }).catch(ignore);
    await fetch(${JSON.stringify(`${target}/api/inboxes`)}, { method: "POST", mode: "no-cors" }).catch(ignore);
    document.getElementById("form").submit();
    document.title = "sent";
  })();
</script>`;
}

test("a page on another origin cannot mark an inbox read or create one with no-cors requests", async ({
  page,
}) => {
  const address = freshAddress("csrf");
  await sendMail(
    { from: "a@example.test", to: address, subject: "Still unread", text: "hi" },
    own.sandbox.smtpPort,
  );
  const before = await inboxes();
  expect(before).toEqual([expect.objectContaining({ address, unreadCount: 1 })]);

  // The browser hides these answers from the page (and from Playwright's own events: the
  // Cross-Origin-Resource-Policy blocks them), but the DevTools protocol still sees each status:
  // proof that the requests were delivered and refused, not lost on the way.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  // Chromium may fire an ExtraInfo event before or after the request's main event, so each side
  // is kept by request id and the two are joined when read.
  const sent = new Map<string, string>();
  const statuses = new Map<string, number>();
  cdp.on("Network.requestWillBeSent", ({ requestId, request }) => {
    if (request.url.startsWith(own.sandbox.url)) sent.set(requestId, `${request.method} ${request.url}`);
  });
  cdp.on("Network.responseReceivedExtraInfo", ({ requestId, statusCode }) => {
    statuses.set(requestId, statusCode);
  });
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    statuses.set(requestId, response.status);
  });
  const answers = (): string[] =>
    [...sent]
      .filter(([requestId]) => statuses.has(requestId))
      .map(([requestId, request]) => `${statuses.get(requestId)} ${request}`)
      .sort();

  foreign = await serveForeignPage(attackPage(own.sandbox.url, address));
  await page.goto(foreign.url);
  await expect(page).toHaveTitle("sent");
  const target = own.sandbox.url;
  await expect
    .poll(answers)
    .toEqual(
      [
        `403 POST ${target}/api/inboxes/${encodeURIComponent(address)}/read`,
        `403 POST ${target}/api/inboxes`,
        `403 POST ${target}/api/inboxes`,
      ].sort(),
    );

  expect(await inboxes()).toEqual(before);
});
