import { setTimeout as sleep } from "node:timers/promises";
import type { Sandbox } from "../sandbox.js";
import type { StoredMessage } from "../store/model.js";
import { readAll } from "./test-sandbox.js";

/**
 * Waits (polling every 10 ms, at most `timeoutMs`) until `inbox` holds `count` messages, and returns
 * them oldest first, in full. Fails with what the inbox holds when they do not come.
 */
export async function messagesIn(
  sandbox: Sandbox,
  inbox: string,
  count: number,
  timeoutMs = 5_000,
): Promise<StoredMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { messages } = await sandbox.store.list({ limit: 100, inbox });
    if (messages.length >= count) {
      const full = await Promise.all([...messages].reverse().map((summary) => sandbox.store.get(summary.id)));
      return full.filter((message): message is StoredMessage => message !== null);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${count} message(s) in ${inbox}; it holds ${messages.length}: ${messages.map((message) => JSON.stringify(message.subject)).join(", ")}`,
      );
    }
    await sleep(10);
  }
}

/** The stored bytes of a message. */
export async function rawOf(sandbox: Sandbox, id: string): Promise<Buffer> {
  const raw = await sandbox.store.readRaw(id);
  if (raw === null) throw new Error(`message ${id} is not stored`);
  return readAll(raw);
}

/** One header's value (the first), or undefined. */
export function headerOf(message: StoredMessage, name: string): string | undefined {
  return message.headers.find((line) => line.name.toLowerCase() === name.toLowerCase())?.value;
}
