/**
 * Freezes `value` and everything it holds, in place, and returns it. For data handed to more than one
 * reader (a cached message, a reused verdict): a change by one would otherwise be seen by all, and a
 * frozen object makes that change throw instead. Already frozen parts are not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
