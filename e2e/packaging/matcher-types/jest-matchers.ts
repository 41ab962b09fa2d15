// Compiled by packaging.test.mjs against Jest 29 and Jest 30 types (expect and @types/jest,
// skipLibCheck false).
import type { Inbox, Message } from "@mailnest/client";
import "@mailnest/client/jest";
import { expect as jestExpect } from "expect";

export async function jestMatchers(inbox: Inbox, message: Message): Promise<void> {
  // `expect` from the expect package (what @jest/globals exports) and the global one of @types/jest.
  for (const check of [jestExpect, expect]) {
    await check(inbox).toReceiveMessage({ subject: /welcome/i }, { timeout: 5_000 });
    await check(inbox).not.toReceiveMessage();
    check(message).toHaveLink({ text: /confirm/i });
    check(message).toHaveAttachment({ filename: "a.pdf" });
    check(message).toHaveHeader("List-Unsubscribe", /https:/);
  }
  // @ts-expect-error a header name is required
  jestExpect(message).toHaveHeader();
}
