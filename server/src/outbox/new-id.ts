import { createMessageId } from "../store/ulid.js";

/**
 * `<prefix>_` + a 26-character lowercase ULID (the store's message-id format), so ids sort by
 * creation time and say what they name: `ep_01jz4k8q3m2x7v9c0b5n6t1r8p` for a webhook endpoint.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${createMessageId(now)}`;
}
