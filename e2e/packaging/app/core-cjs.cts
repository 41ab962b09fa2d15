// The same, resolved through the `require` condition (dist/cjs) under moduleResolution node16.
import { Mailnest, type Message } from "@mailnest/client";

export async function latestSubject(): Promise<string | null> {
  const inbox = await new Mailnest().createInbox();
  const latest: Message | null = await inbox.latest();
  const raw: Uint8Array | undefined = await latest?.raw();
  return raw ? (latest?.subject ?? null) : null;
}
