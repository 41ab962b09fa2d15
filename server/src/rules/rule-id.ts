import { randomBytes } from "node:crypto";

/** 32 symbols, so each random byte maps to one without bias. */
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** A rule id: the prefix (`flt`, `rpt`), an underscore and 12 random characters. */
export function newRuleId(prefix: string): string {
  return `${prefix}_${Array.from(randomBytes(12), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join("")}`;
}
