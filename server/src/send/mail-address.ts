import { MAX_ADDRESS_LENGTH } from "@mailnest/protocol";

/**
 * `local@domain` without anything that would need quoting in a header or could break an SMTP
 * command: no whitespace, control characters, angle brackets, quotes, commas or semicolons. Stricter
 * than RFC 5322 (no quoted local parts), which is what addresses given to the send API and the relay
 * need: they are written into headers and RCPT TO as they are.
 */
const MAIL_ADDRESS = /^[^\s@<>()[\]\\,;:"\p{Cc}]+@[^\s@<>()[\]\\,;:"\p{Cc}]+$/u;

export function isMailAddress(value: string): boolean {
  return value.length <= MAX_ADDRESS_LENGTH && MAIL_ADDRESS.test(value);
}
