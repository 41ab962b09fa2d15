/**
 * Compiled by `typecheck`, never run: proves that the Jest declarations type the matchers on
 * `expect` from the `expect` package, which is also what `@jest/globals` exports.
 */
import { expect } from "expect";
import type { Inbox } from "./client/inbox.js";
import type { Message } from "./message/message.js";
import "./jest.js";

export async function jestMatchersAreTyped(inbox: Inbox, message: Message): Promise<void> {
  await expect(inbox).toReceiveMessage({ subject: /welcome/i }, { timeout: 5_000 });
  await expect(inbox).not.toReceiveMessage();
  expect(message).toHaveLink({ text: /confirm/i });
  expect(message).toHaveAttachment({ filename: "a.pdf" });
  expect(message).toHaveHeader("List-Unsubscribe", /https:/);
  // @ts-expect-error a header name is required
  expect(message).toHaveHeader();
}
