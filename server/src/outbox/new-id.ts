import { randomBytes } from "node:crypto";

// Crockford's base32, lowercase: no i, l, o, u, so ids read unambiguously.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * `<prefix>_` + 26 characters: 10 of millisecond time, then 16 random ones (80 bits), so ids sort by
 * creation time. E.g. `ep_01jz4k8q3m2x7v9c0b5n6t1r8p` for a webhook endpoint.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  let random = "";
  for (const byte of randomBytes(16)) random += ALPHABET[byte & 31];
  return `${prefix}_${time}${random}`;
}
