// Compiled (never run) by packaging.test.mjs with strict options, skipLibCheck false, the DOM
// library and no @types/node: the core of the SDK must type-check in a browser or edge project.
import {
  isNotFoundError,
  isWaitTimeoutError,
  Mailnest,
  type Message,
  type MessageSummary,
} from "@mailnest/client";

export async function confirmationLink(signUp: (address: string) => Promise<void>): Promise<string> {
  const mail = new Mailnest({ url: "http://127.0.0.1:8025", timeout: 10_000 });
  const inbox = await mail.createInbox({ prefix: "signup" });
  const next = inbox.nextMessage({ subject: /confirm/i });
  await signUp(inbox.address);
  const message: Message = await next;
  const raw: Uint8Array = await message.raw();
  const text: string = new TextDecoder().decode(raw);
  const attachment = message.attachments[0];
  const bytes: Uint8Array | undefined = await attachment?.content();
  const summary: MessageSummary = message.toJSON();
  try {
    await inbox.expectNoMessage({ subject: /reminder/ }, { within: 500 });
  } catch (error) {
    if (isWaitTimeoutError(error) || isNotFoundError(error)) throw error;
  }
  return `${message.link({ text: /confirm/i }).href} ${text.length} ${bytes?.length ?? 0} ${summary.id}`;
}
