import { randomFillSync } from "node:crypto";

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
  for (const byte of takeRandom(16)) {
    random += ALPHABET[byte & 31];
  }
  return time + random;
}

// One call into the system's random source per 256 ids: a 16-byte `randomBytes` per message cost
// 2.3 % of the event loop at 16 connections (bench --cpu-prof), most of it the call itself.
const pool = new Uint8Array(4096);
let poolOffset = pool.length;

function takeRandom(length: number): Uint8Array {
  if (poolOffset + length > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const taken = pool.subarray(poolOffset, poolOffset + length);
  poolOffset += length;
  return taken;
}

/** The creation time encoded in an id's first ten characters, as ISO-8601. */
export function timeFromId(id: string): string {
  let time = 0;
  for (const character of id.slice(0, 10)) {
    time = time * 32 + ALPHABET.indexOf(character);
  }
  return new Date(time).toISOString();
}
