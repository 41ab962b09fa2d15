/**
 * A value a request carried, as an error message quotes it: JSON, cut to 60 characters. Never
 * throws: a body nested 100,000 levels deep overflowed `JSON.stringify`'s stack, and the error
 * meant to name the field became a 500. Numbers are written as numbers (`1e309` parses to
 * Infinity, which JSON would show as `null`).
 */
export function receivedValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return "a value nested too deeply to show";
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
