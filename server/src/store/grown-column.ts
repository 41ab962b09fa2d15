/** A column the store keeps in a typed array (a table of numbers per message). */
export type NumberColumn = Float64Array | Uint32Array | Uint16Array | Uint8Array;

/** `next`, a larger column, with `old`'s values at its start: how the store's columns grow. */
export function grownColumn<T extends NumberColumn>(old: T, next: T): T {
  next.set(old);
  return next;
}
