/**
 * The most bytes `JSON.stringify(value)` can take in UTF-8, found without building the string. For a
 * limit check on the ingest path: the exact size is worth computing only when this bound is over
 * the limit, which for a message summary (a few hundred characters against 256 KB) it never is.
 *
 * Every UTF-16 unit of a string becomes at most 6 bytes (a control character or a lone surrogate
 * is written `\u001f`; anything else is at most 3 bytes of UTF-8, or an escape of 2), a number at
 * most 24 characters (`-1.7976931348623157e+308`), and `true`/`false`/`null` at most 5. Values
 * JSON leaves out (undefined, functions) are counted as if written, which only raises the bound.
 * Anything with its own `toJSON` (a Date) is measured exactly.
 */
export function jsonBytesAtMost(value: unknown): number {
  switch (typeof value) {
    case "string":
      return 2 + 6 * value.length;
    case "number":
    case "bigint":
      return 24;
    case "boolean":
    case "undefined":
    case "function":
    case "symbol":
      return 5;
    default:
      break;
  }
  if (value === null) return 4;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return Buffer.byteLength(JSON.stringify(value) ?? "null");
  }
  if (Array.isArray(value)) {
    // Brackets and a comma after each element (one too many: harmless).
    let bytes = 2;
    for (const element of value) bytes += jsonBytesAtMost(element) + 1;
    return bytes;
  }
  // Braces, then per entry: the key as a string, a colon and a comma.
  let bytes = 2;
  for (const key in value as Record<string, unknown>) {
    if (!Object.hasOwn(value as object, key)) continue;
    bytes += 2 + 6 * key.length + 2 + jsonBytesAtMost((value as Record<string, unknown>)[key]);
  }
  return bytes;
}
