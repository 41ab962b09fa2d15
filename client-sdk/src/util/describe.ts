import type { Address } from "@mailnest/protocol";

/**
 * How error messages show things. Shared by option validation, filters and message helpers, so it
 * depends on none of them: every module can import it without closing an import cycle.
 */

/** A value a caller passed, as a `TypeError` quotes it: `"5s"`, `/Welcome/`, `number 42`, `an array of 2`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return value === "" ? 'an empty string ""' : JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") {
    try {
      return JSON.stringify(value);
    } catch {
      return "an object";
    }
  }
  return `${typeof value} ${String(value)}`;
}

/** `The App <noreply@app.test>`, or the bare address when there is no display name. */
export function formatAddress(entry: Address): string {
  return entry.name ? `${entry.name} <${entry.address}>` : entry.address;
}

/** `text` on one line (whitespace runs collapsed), cut to at most `max` characters with "...". */
export function excerpt(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
