import { expect, test } from "@playwright/test";
import { type ForeignPage, serveForeignPage } from "../../support/foreign-page.js";
import { freshAddress, sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";

const own = useOwnSandbox();
let foreign: ForeignPage | undefined;

test.afterAll(async () => {
  await foreign?.close();
});

/** How long a wait may hold when nothing matches: long enough that a refusal is told apart from it. */
const WAIT_MS = 4_000;

/**
 * The timing attack on waits: a page on another site cannot read the answers, but a wait answers at
 * once when a stored message matches and only at its timeout otherwise, so the time each `no-cors`
 * request takes says whether a guess is in the mail. The page reports both durations in its title.
 */
function timingPage(target: string, guesses: { hit: string; miss: string }): string {
  const url = (text: string) => `${target}/api/wait?text=${text}&timeout=${WAIT_MS}`;
  return `<!doctype html><title>elsewhere</title>
<script>
  (async () => {
    const time = async (url) => {
      const started = performance.now();
      await fetch(url, { mode: "no-cors", cache: "no-store" }).catch(() => {});
      return Math.round(performance.now() - started);
    };
    const hit = await time(${JSON.stringify(url(guesses.hit))});
    const miss = await time(${JSON.stringify(url(guesses.miss))});
    document.title = "hit " + hit + " miss " + miss;
  })();
</script>`;
}

test("a page on another origin cannot time a wait to learn what the mail says", async ({ page }) => {
  const address = freshAddress("timing");
  await sendMail(
    { from: "a@example.test", to: address, subject: "Your code", text: "Your code is 583920" },
    own.sandbox.smtpPort,
  );
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const statuses: number[] = [];
  cdp.on("Network.responseReceivedExtraInfo", ({ statusCode }) => statuses.push(statusCode));

  foreign = await serveForeignPage(timingPage(own.sandbox.url, { hit: "583920", miss: "000000" }));
  await page.goto(foreign.url);
  await expect(page).toHaveTitle(/^hit \d+ miss \d+$/, { timeout: 2 * WAIT_MS + 5_000 });
  const [, hit, miss] = /^hit (\d+) miss (\d+)$/.exec(await page.title())!.map(Number) as [
    number,
    number,
    number,
  ];
  // Both refused before any wait is armed: neither comes near the timeout, so they say nothing.
  expect({ hit: hit < WAIT_MS / 2, miss: miss < WAIT_MS / 2 }).toEqual({ hit: true, miss: true });
  await expect.poll(() => statuses.filter((status) => status === 403).length).toBe(2);

  // The same wait from the server's own origin (the viewer's) is answered.
  await page.goto(own.sandbox.url);
  const own200 = await page.evaluate(
    async (url) => (await fetch(url)).status,
    `${own.sandbox.url}/api/wait?text=583920&timeout=1000`,
  );
  expect(own200).toBe(200);
});
