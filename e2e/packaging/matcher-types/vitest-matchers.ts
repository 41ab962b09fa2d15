// Compiled by packaging.test.mjs against Vitest 4 and Vitest 5 (skipLibCheck false): the matchers
// of @mailnest/client/vitest merge with either version's `Matchers` (TS2428 otherwise).
import type { Inbox, Message } from "@mailnest/client";
import "@mailnest/client/vitest";
import { expect } from "vitest";

export async function vitestMatchers(inbox: Inbox, message: Message): Promise<void> {
  await expect(inbox).toReceiveMessage({ subject: /welcome/i }, { timeout: 5_000 });
  await expect(inbox).not.toReceiveMessage();
  await expect(inbox).toHaveNoDuplicates();
  expect(message).toHaveLink({ text: /confirm/i });
  expect(message).toHaveAttachment({ filename: "a.pdf" });
  expect(message).toHaveHeader("List-Unsubscribe", /https:/);
  // @ts-expect-error a header name is required
  expect(message).toHaveHeader();
}
