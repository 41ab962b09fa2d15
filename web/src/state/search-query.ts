import type { ListFilters } from "../api/types.js";
import type { SearchField } from "./route.js";

const KEYS: Record<string, keyof ListFilters> = {
  from: "from",
  to: "to",
  subject: "subject",
  text: "text",
  body: "text",
};

/** `key:value`, `key:"two words"`, `"quoted words"` or a bare word. */
const TOKEN = /([a-z]+):(?:"([^"]*)"|(\S+))|"([^"]*)"|(\S+)/gi;

/**
 * Turns what the user typed into the API's list filters. Bare words search `field` (chosen beside
 * the box); `from:`, `to:`, `subject:`, `text:`/`body:` and `has:attachment` narrow further. All
 * filters must hold (the API ANDs them), which is what a narrowing search means.
 */
export function parseSearch(input: string, field: SearchField): ListFilters {
  const filters: ListFilters = {};
  const bare: string[] = [];
  for (const match of input.matchAll(TOKEN)) {
    const [whole, rawKey, quotedValue, plainValue, quotedBare, plainBare] = match;
    const key = rawKey?.toLowerCase();
    const value = quotedValue ?? plainValue ?? "";
    if (key === "has" && /^attachments?$/i.test(value)) {
      filters.hasAttachment = true;
    } else if (key !== undefined && key in KEYS) {
      const target = KEYS[key]!;
      if (target !== "hasAttachment" && value) filters[target] = value;
    } else {
      const word = quotedBare ?? plainBare ?? whole;
      if (word) bare.push(word);
    }
  }
  if (bare.length > 0) {
    const existing = filters[field];
    const joined = bare.join(" ");
    filters[field] = existing ? `${existing} ${joined}` : joined;
  }
  return filters;
}

export function hasFilters(filters: ListFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined && value !== "");
}
