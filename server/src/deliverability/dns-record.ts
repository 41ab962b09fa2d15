import { isIPv4, isIPv6 } from "node:net";
import {
  DNS_RECORD_TYPES,
  type DnsRecord,
  type DnsRecordType,
  MAX_DNS_NAME_LENGTH,
  MAX_DNS_RECORD_VALUE_LENGTH,
} from "@mailnest/protocol";

/** A record the zone refuses; `field` names what was wrong, for a 400 or a zone-file line. */
export class InvalidDnsRecordError extends Error {
  override name = "InvalidDnsRecordError" as const;
  readonly field: "name" | "type" | "value" | "ttl";

  constructor(field: "name" | "type" | "value" | "ttl", message: string) {
    super(message);
    this.field = field;
  }
}

export const DEFAULT_TTL = 300;
/** RFC 2181 section 8: a TTL is a 31-bit unsigned number. */
const MAX_TTL = 2 ** 31 - 1;
/** Letters, digits, hyphens, and the underscore of `_domainkey` and `_dmarc` (RFC 8552). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A domain name as the zone keys it: lowercase, without the final dot. Throws when it is not a
 * name DNS could hold (RFC 1035 section 2.3.4). Internationalized names are given as A-labels.
 */
export function normalizeDnsName(input: string, field: "name" | "value" = "name"): string {
  const name = input.trim().toLowerCase().replace(/\.$/, "");
  const what = field === "name" ? "name" : "target name";
  if (name === "") throw new InvalidDnsRecordError(field, `${what} is empty`);
  if (name.length > MAX_DNS_NAME_LENGTH) {
    throw new InvalidDnsRecordError(field, `${what} is longer than ${MAX_DNS_NAME_LENGTH} characters`);
  }
  for (const label of name.split(".")) {
    if (label === "") throw new InvalidDnsRecordError(field, `${what} "${input}" has an empty label`);
    if (!LABEL.test(label)) {
      throw new InvalidDnsRecordError(
        field,
        `${what} "${input}": label "${label}" is not 1-63 letters, digits, "-" or "_" (give internationalized names as xn-- labels)`,
      );
    }
  }
  return name;
}

export function isDnsRecordType(type: string): type is DnsRecordType {
  return (DNS_RECORD_TYPES as readonly string[]).includes(type);
}

/** Checks and normalizes one record; the message names the field at fault. */
export function toDnsRecord(input: {
  name: unknown;
  type: unknown;
  value: unknown;
  ttl?: unknown;
}): DnsRecord {
  if (typeof input.name !== "string") throw new InvalidDnsRecordError("name", "name must be a string");
  const name = normalizeDnsName(input.name);
  if (typeof input.type !== "string") throw new InvalidDnsRecordError("type", "type must be a string");
  const type = input.type.toUpperCase();
  if (!isDnsRecordType(type)) {
    throw new InvalidDnsRecordError(
      "type",
      `type "${input.type}" is not supported: use one of ${DNS_RECORD_TYPES.join(", ")}`,
    );
  }
  if (typeof input.value !== "string") throw new InvalidDnsRecordError("value", "value must be a string");
  const ttl = input.ttl ?? DEFAULT_TTL;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
    throw new InvalidDnsRecordError("ttl", `ttl must be an integer from 0 to ${MAX_TTL}`);
  }
  return { name, type, value: normalizeValue(type, input.value), ttl };
}

function normalizeValue(type: DnsRecordType, input: string): string {
  if (input.length > MAX_DNS_RECORD_VALUE_LENGTH) {
    throw new InvalidDnsRecordError(
      "value",
      `value is ${input.length} characters long; a record holds at most ${MAX_DNS_RECORD_VALUE_LENGTH}`,
    );
  }
  switch (type) {
    case "TXT":
      // Any text a zone file can write; control characters other than tab are a mistake.
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(input)) {
        throw new InvalidDnsRecordError("value", "TXT value contains a control character");
      }
      return input;
    case "A":
      if (!isIPv4(input.trim()))
        throw new InvalidDnsRecordError("value", `"${input}" is not an IPv4 address`);
      return input.trim();
    case "AAAA":
      if (!isIPv6(input.trim()))
        throw new InvalidDnsRecordError("value", `"${input}" is not an IPv6 address`);
      return input.trim().toLowerCase();
    case "MX": {
      const match = /^\s*(\d{1,5})\s+(\S+)\s*$/.exec(input);
      const preference = Number(match?.[1]);
      if (!match?.[2] || preference > 65535) {
        throw new InvalidDnsRecordError(
          "value",
          `MX value "${input}" is not "<preference 0-65535> <exchange>"`,
        );
      }
      // "." is the null MX of RFC 7505: the domain accepts no mail.
      const exchange = match[2] === "." ? "." : normalizeDnsName(match[2], "value");
      return `${preference} ${exchange}`;
    }
    case "CNAME":
      return normalizeDnsName(input, "value");
  }
}

/** The strings of a TXT answer: DNS carries text in strings of at most 255 octets (RFC 1035 section 3.3.14); every consumer joins them again. */
export function txtStrings(value: string): string[] {
  if (value.length <= 255) return [value];
  const strings: string[] = [];
  for (let at = 0; at < value.length; at += 255) strings.push(value.slice(at, at + 255));
  return strings;
}
