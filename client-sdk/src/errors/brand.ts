/**
 * Marks every Mailnest error so the type guards work across copies of the package: a project that
 * loads both the ESM and the CommonJS build (Jest often does) gets two distinct classes, and
 * `instanceof` fails between them. `Symbol.for` is shared by the whole process.
 */
export const MAILNEST_ERROR_BRAND: unique symbol = Symbol.for("mailnest.client.error") as never;

/** Whether `value` is an error from (any copy of) this package, optionally with one of `names`. */
export function isBrandedError(value: unknown, names?: readonly string[]): value is Error {
  if (!(value instanceof Error)) return false;
  if ((value as unknown as Record<symbol, unknown>)[MAILNEST_ERROR_BRAND] !== true) return false;
  return names === undefined || names.includes(value.name);
}
