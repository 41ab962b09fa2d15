import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * smtp-server puts an enhanced status code (RFC 3463) in front of every hook's refusal, guessed from
 * the reply code alone (451 → 4.3.0). Greylisting must say 451 4.7.1 and a rate limit 421 4.7.0, so
 * Mailnest's engine patch (`patches/smtp-server@3.21.6.patch`) keeps a code the reply text already
 * starts with. This fails if an upgrade drops that part of the patch.
 */

const cleanup = useCleanup();

async function refusalAtRcpt(message: string, code: number): Promise<string> {
  const sandbox = await startTestSandbox(cleanup);
  await fetchJson(sandbox.url, "POST", "/api/faults", { stage: "rcpt", code, message });
  const client = await SmtpTestClient.open(sandbox.smtpPort);
  cleanup(() => client.destroy());
  expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
  return (await client.command("RCPT TO:<someone@mailnest.test>")).raw;
}

describe("enhanced status codes in refusals", () => {
  it("a reply text that starts with its own status code is sent with that code only", async () => {
    expect(await refusalAtRcpt("4.7.1 Greylisted, try again later", 451)).toBe(
      "451 4.7.1 Greylisted, try again later",
    );
  });

  it("without one, the code's default goes in front as before", async () => {
    expect(await refusalAtRcpt("try again later", 451)).toBe("451 4.3.0 try again later");
  });

  it("a status code of another class than the reply is text, and the default still goes in front", async () => {
    expect(await refusalAtRcpt("5.1.1 looks permanent", 451)).toBe("451 4.3.0 5.1.1 looks permanent");
  });
});
