import { type AddressItem, parseAddressList } from "../../mime/address-list.js";
import { type HeaderBlock, headerValue } from "../../mime/header-block.js";
import type { WireValue } from "./wire-value.js";

/** What Dovecot puts in an address without a domain, so it is not read as the start of a group. */
const MISSING_DOMAIN = "MISSING_DOMAIN";

/**
 * RFC 3501 section 7.4.2, ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id, from the first occurrence of each header, unfolded but not decoded
 * (clients decode encoded words themselves). Sender and Reply-To default to From.
 */
export function envelope(header: HeaderBlock): WireValue[] {
  const text = (key: string): WireValue => headerValue(header, key) ?? null;
  const from = addresses(header, "from");
  return [
    text("date"),
    text("subject"),
    from,
    addresses(header, "sender") ?? from,
    addresses(header, "reply-to") ?? from,
    addresses(header, "to"),
    addresses(header, "cc"),
    addresses(header, "bcc"),
    text("in-reply-to"),
    text("message-id"),
  ];
}

/**
 * `env-from` and friends: "(" 1*address ")" (no space between the addresses, as in the RFC's
 * examples), or NIL when the header is missing or names nobody.
 */
function addresses(header: HeaderBlock, key: string): WireValue[] | null {
  const value = headerValue(header, key);
  if (value === undefined) return null;
  const items = parseAddressList(value);
  return items.length === 0 ? null : [{ run: items.map(addressStructure) }];
}

/** RFC 3501 `address`: (name adl mailbox host); a group is (NIL NIL name NIL) … (NIL NIL NIL NIL). */
function addressStructure(item: AddressItem): WireValue[] {
  switch (item.kind) {
    case "group-start":
      return [null, null, item.name, null];
    case "group-end":
      return [null, null, null, null];
    case "mailbox":
      return [item.name, item.route, item.mailbox, item.host ?? MISSING_DOMAIN];
  }
}
