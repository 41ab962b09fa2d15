import type { Response } from "express";
import { drained } from "../../drained.js";

/**
 * Sends a JSON answer written piece by piece, waiting for the socket between pieces. Answers that
 * carry many whole messages (a wait for `count` of them, the peers' lists) were one
 * `JSON.stringify`: thirteen messages of 20 MB made a string past V8's limit (a 500 after seconds
 * of a stalled event loop, every other client waiting), and four such requests held 3 GB. One
 * message at a time, each written before the next is serialized, keeps one message's text in
 * memory per request and lets other work run between them.
 */
export async function sendJsonParts(
  res: Response,
  parts: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  res.type("application/json; charset=utf-8");
  // Small pieces are gathered, so the usual answer (one message of a few KB) is still one write.
  let pending = "";
  for await (const part of parts) {
    if (res.destroyed) return;
    pending += part;
    if (pending.length < GATHER_CHARS) continue;
    const chunk = pending;
    pending = "";
    if (!res.write(chunk)) await drained(res);
  }
  if (!res.destroyed) res.end(pending);
}

/** Characters gathered before a write: well under a message's size when messages are large. */
const GATHER_CHARS = 64 * 1024;

/**
 * `[item, …]`, or `{ ...fields, [key]: [item, …] }` when `wrap` is given (with `[countKey]: n` after
 * the list when it names one), one part per item, so only the item being written is serialized. A
 * null item is skipped (a message deleted since it was listed); the count comes last, once known.
 */
export async function* jsonListParts(
  items: Iterable<unknown> | AsyncIterable<unknown>,
  wrap?: { fields: Record<string, unknown>; key: string; countKey?: string },
): AsyncGenerator<string> {
  if (wrap) {
    const head = JSON.stringify(wrap.fields);
    yield head === "{}"
      ? `{${JSON.stringify(wrap.key)}:`
      : `${head.slice(0, -1)},${JSON.stringify(wrap.key)}:`;
  }
  yield "[";
  let count = 0;
  for await (const item of items) {
    if (item === null) continue;
    yield `${count === 0 ? "" : ","}${JSON.stringify(item)}`;
    count += 1;
  }
  if (!wrap) yield "]";
  else yield wrap.countKey === undefined ? "]}" : `],${JSON.stringify(wrap.countKey)}:${count}}`;
}
