import type { Address, AttachmentMeta, HeaderLine, StoredMessage } from "../../../store/model.js";
import { bareMessageId, cleanString, type SearchFacts } from "./mailpit-search.js";
import type { MailpitAddress, MailpitAttachment, MailpitMessage, MailpitSummary } from "./mailpit-shapes.js";

/**
 * A stored message in Mailpit's shapes. Where Mailpit's SMTP server changes a message as it
 * stores it (internal/smtpd/main.go), the same result is computed here from the envelope: the
 * recipients of the envelope that no header names are added to Bcc, and Return-Path is MAIL FROM.
 */

export function mailpitAddress({ name, address }: Address): MailpitAddress {
  return { Name: name, Address: address };
}

/** The Bcc header, plus every envelope recipient that To, Cc and Bcc leave out (Mailpit adds them to Bcc). */
export function mailpitBcc(message: StoredMessage): Address[] {
  const named = new Set([...message.to, ...message.cc, ...message.bcc].map((a) => a.address.toLowerCase()));
  const missing = [...new Set(message.envelope.rcptTo.map((r) => r.toLowerCase()))].filter(
    (r) => !named.has(r),
  );
  return [...message.bcc, ...missing.map((address) => ({ name: "", address }))];
}

function header(headers: readonly HeaderLine[], name: string): string {
  return headers.find((line) => line.name.toLowerCase() === name)?.value ?? "";
}

export function mailpitReturnPath(message: StoredMessage): string {
  const fromHeader = header(message.headers, "return-path").replace(/^<|>$/g, "");
  return fromHeader || message.envelope.mailFrom || (message.from[0]?.address ?? "");
}

const NO_ADDRESS: MailpitAddress = { Name: "", Address: "" };

export function mailpitSummary(message: StoredMessage, tags: readonly string[]): MailpitSummary {
  return {
    ID: message.id,
    MessageID: bareMessageId(message.messageId),
    Read: message.read,
    From: message.from[0] ? mailpitAddress(message.from[0]) : NO_ADDRESS,
    To: message.to.map(mailpitAddress),
    Cc: message.cc.map(mailpitAddress),
    Bcc: mailpitBcc(message).map(mailpitAddress),
    ReplyTo: message.replyTo.map(mailpitAddress),
    Subject: message.subject,
    Created: message.receivedAt,
    Username: message.authUser ?? "",
    Tags: [...tags],
    Size: message.size,
    Attachments: message.attachments.filter((a) => a.disposition === "attachment").length,
    Snippet: message.snippet,
  };
}

/** MD5 and SHA-1 of an attachment's decoded content (SHA-256 the store already has). */
export interface ExtraChecksums {
  md5: string;
  sha1: string;
}

export function mailpitMessage(
  message: StoredMessage,
  tags: readonly string[],
  checksums: ReadonlyMap<string, ExtraChecksums>,
): MailpitMessage {
  const attachment = (meta: AttachmentMeta): MailpitAttachment => ({
    PartID: meta.id,
    FileName: meta.filename ?? meta.contentId ?? "",
    ContentType: meta.contentType,
    ContentID: meta.contentId ?? "",
    Size: meta.size,
    Checksums: {
      MD5: checksums.get(meta.id)?.md5 ?? "",
      SHA1: checksums.get(meta.id)?.sha1 ?? "",
      SHA256: meta.sha256,
    },
  });
  const summary = mailpitSummary(message, tags);
  return {
    ID: summary.ID,
    MessageID: summary.MessageID,
    From: summary.From,
    To: summary.To,
    Cc: summary.Cc,
    Bcc: summary.Bcc,
    ReplyTo: summary.ReplyTo,
    ReturnPath: mailpitReturnPath(message),
    Subject: message.subject,
    ListUnsubscribe: listUnsubscribe(message.headers),
    Date: message.date ?? message.receivedAt,
    Tags: summary.Tags,
    Username: summary.Username,
    Text: message.text ?? "",
    HTML: message.html ?? "",
    Size: message.size,
    Inline: message.attachments.filter((a) => a.disposition === "inline").map(attachment),
    Attachments: message.attachments.filter((a) => a.disposition === "attachment").map(attachment),
  };
}

/** What Mailpit's search looks at beyond the summary (internal/storage/utils.go, `createSearchText`). */
export function mailpitSearchFacts(message: StoredMessage, tags: readonly string[]): SearchFacts {
  const bcc = mailpitBcc(message);
  const addressText = (addresses: Address[]) => addresses.map((a) => `${a.name} <${a.address}>`).join(", ");
  const attachments = message.attachments.filter((a) => a.disposition === "attachment");
  const text = [
    header(message.headers, "from"),
    message.subject,
    header(message.headers, "to"),
    header(message.headers, "cc"),
    addressText(bcc),
    header(message.headers, "reply-to"),
    mailpitReturnPath(message),
    message.visibleText,
    ...attachments.map((a) => a.filename ?? ""),
  ].join(" ");
  return {
    bcc,
    replyTo: message.replyTo,
    searchText: cleanString(text),
    attachments: attachments.length,
    inlines: message.attachments.length - attachments.length,
    tags,
  };
}

/**
 * The `List-Unsubscribe` summary Mailpit shows (internal/tools/listunsubscribeparser.go): the
 * `<…>` links that are `mailto:` or `http(s):`, at most one of each, and what is wrong with the rest.
 */
export function listUnsubscribe(headers: readonly HeaderLine[]): MailpitMessage["ListUnsubscribe"] {
  const value = header(headers, "list-unsubscribe");
  const post = header(headers, "list-unsubscribe-post");
  if (value === "") return { Header: "", Links: [], Errors: "", HeaderPost: "" };
  const text = value.replace(/\([^)]*\)/g, "").trim();
  const links: string[] = [];
  const errors: string[] = [];
  const found = [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1] ?? "");
  if (found.length === 0) errors.push(`"${text}" no valid unsubscribe links found`);
  else if (!/^<.*>$/s.test(text)) errors.push(`"${text}" should be enclosed in <>`);
  else if (found.length > 2) errors.push(`"${text}" should include a maximum of one email and one HTTP link`);
  else {
    const seen = new Set<string>();
    for (const link of found) {
      const kind = /^mailto:[a-zA-Z0-9]/.test(link)
        ? "mailto"
        : /^https?:\/\/[a-zA-Z0-9]/i.test(link)
          ? "http"
          : null;
      if (/\s/.test(link)) errors.push(`"${link}" should not contain spaces`);
      else if (kind === null) errors.push(`"${link}" should start with either http(s):// or mailto:`);
      else if (seen.has(kind))
        errors.push(`"${link}" should only contain one ${kind === "http" ? "HTTP link" : "mailto:"}`);
      else {
        seen.add(kind);
        links.push(link);
      }
    }
  }
  return { Header: value, Links: links, Errors: errors.join(", "), HeaderPost: post };
}
