import { randomBytes } from "node:crypto";
import { normalizeAddress } from "@mailnest/protocol";

/** 32 symbols, so each random byte maps to one without bias; no 0/o/1/l to misread. */
const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
/** 8 symbols = 40 bits: a collision needs about a million live inboxes, and is retried anyway. */
const RANDOM_LENGTH = 8;
const MAX_ATTEMPTS = 10;

/**
 * A new address `<prefix>-<random>@<domain>` that no inbox uses yet, normalized with the store's
 * rule so it is the key mail to it will be filed under.
 */
export function generateInboxAddress(
  prefix: string,
  domain: string,
  exists: (address: string) => boolean,
): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const address = normalizeAddress(`${prefix}-${randomSuffix()}@${domain}`);
    if (!exists(address)) return address;
  }
  throw new Error(`No free inbox address after ${MAX_ATTEMPTS} attempts for ${prefix}-…@${domain}`);
}

function randomSuffix(): string {
  return Array.from(randomBytes(RANDOM_LENGTH), (byte) => ALPHABET[byte % ALPHABET.length]).join("");
}
