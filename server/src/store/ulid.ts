import { randomBytes } from "node:crypto";

// Crockford's base32, lowercase: no i, l, o, u, so ids read unambiguously.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A 26-character lowercase ULID: 10 characters of millisecond time, then 16 random ones (80 bits).
 * Sorting ids sorts messages by arrival time; the characters are safe in file names and URLs.
 */
export function createMessageId(now: number = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  let random = "";
  for (const byte of randomBytes(16)) {
    random += ALPHABET[byte & 31];
  }
  return time + random;
}

/** The creation time encoded in an id's first ten characters, as ISO-8601. */
export function timeFromId(id: string): string {
  let time = 0;
  for (const character of id.slice(0, 10)) {
    time = time * 32 + ALPHABET.indexOf(character);
  }
  return new Date(time).toISOString();
}
