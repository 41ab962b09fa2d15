import { InvalidCursorError } from "./errors.js";

/**
 * Page cursors are the sequence of the last message on the page. Opaque to clients (they only pass
 * them back), and stable under concurrent ingest and deletion: the next page starts strictly below it.
 */
export function encodeCursor(sequence: number): string {
  return String(sequence);
}

export function decodeCursor(cursor: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(cursor)) throw new InvalidCursorError(cursor);
  const sequence = Number(cursor);
  if (!Number.isSafeInteger(sequence)) throw new InvalidCursorError(cursor);
  return sequence;
}
