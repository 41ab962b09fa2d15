/**
 * Playwright integration: `import { test, expect } from "@mailnest/client/playwright"`.
 *
 * - `inbox` (test fixture): a fresh inbox per test, deleted afterwards. When the test fails, the
 *   inbox's message list and the newest message's raw source are attached to the report.
 * - `mail` (worker fixture): one `Mailnest` client per worker.
 * - `mailnest` (worker option): the client options, e.g. `test.use({ mailnest: { url, token } })`;
 *   by default MAILNEST_URL and MAILNEST_API_TOKEN.
 * - `expect`: Playwright's, with `toReceiveMessage`, `toHaveLink`, `toHaveAttachment`, `toHaveHeader`.
 */
import { test as base, expect as baseExpect, type TestInfo } from "@playwright/test";
import type { Inbox } from "./client/inbox.js";
import { Mailnest } from "./client/mailnest.js";
import type { MailnestOptions } from "./client/options.js";
import { isNotFoundError } from "./errors/not-found-error.js";
import { mailnestMatchers } from "./matchers/mailnest-matchers.js";

export interface MailnestTestFixtures {
  /** A new inbox for this test; its waits see only mail sent during the test. */
  inbox: Inbox;
}

export interface MailnestWorkerFixtures {
  /** The client, shared by the tests of one worker. */
  mail: Mailnest;
  /** Options for `mail`. @default {} (MAILNEST_URL / MAILNEST_API_TOKEN, else http://127.0.0.1:8025) */
  mailnest: MailnestOptions;
}

declare module "@playwright/test" {
  /**
   * The `mailnest` option is also one of Playwright's own worker options, so that
   * `defineConfig({ use: { mailnest: { url } } })` in playwright.config.ts (and `projects[].use`)
   * type-checks as written, without `defineConfig<{}, MailnestWorkerFixtures>`. It takes effect
   * with the `test` of this module.
   */
  interface PlaywrightWorkerOptions {
    mailnest: MailnestOptions;
  }
}

export const test = base.extend<MailnestTestFixtures, MailnestWorkerFixtures>({
  // Typed as an override of the Playwright option declared above, which takes no `option` flag; at
  // run time it is a fixture of its own, and `option: true` is what lets a config's `use` set it.
  mailnest: [{}, { scope: "worker", option: true } as { scope: "worker" }],
  mail: [
    async ({ mailnest }, use) => {
      await use(new Mailnest(mailnest));
    },
    { scope: "worker" },
  ],
  inbox: async ({ mail }, use, testInfo) => {
    const inbox = await mail.createInbox({ prefix: addressPrefix(testInfo.title) });
    await use(inbox);
    if (testInfo.status !== testInfo.expectedStatus) await attachInbox(inbox, testInfo);
    try {
      await inbox.delete();
    } catch (error) {
      // The test may have deleted it itself.
      if (!isNotFoundError(error)) throw error;
    }
  },
});

export const expect = baseExpect.extend(mailnestMatchers);

export type { MailnestOptions };

/** "sends a confirmation link" → "sends-a-confirmation-link": the web viewer then shows which test an inbox belongs to. */
function addressPrefix(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 24)
    .replace(/^-+|-+$/g, "");
  return slug || "t";
}

/** Best effort: a report attachment must never hide the test's own failure. */
async function attachInbox(inbox: Inbox, testInfo: TestInfo): Promise<void> {
  try {
    const messages = await inbox.messages();
    const lines = messages.map((message) => String(message));
    const summary =
      `${inbox.address}: ${messages.length} message${messages.length === 1 ? "" : "s"} during this test\n` +
      lines.map((line) => `  ${line}`).join("\n");
    await testInfo.attach("mailnest-inbox.txt", { body: summary, contentType: "text/plain" });
    const newest = messages.at(-1);
    if (newest) {
      await testInfo.attach(`mailnest-newest-message-${newest.sequence}.eml`, {
        body: Buffer.from(await newest.raw()),
        contentType: "message/rfc822",
      });
    }
  } catch (error) {
    await testInfo.attach("mailnest-inbox.txt", {
      body: `Could not read ${inbox.address}: ${error instanceof Error ? error.message : String(error)}`,
      contentType: "text/plain",
    });
  }
}
