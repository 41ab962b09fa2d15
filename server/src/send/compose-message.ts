import type { Mailbox, ValidSendRequest } from "./send-request.js";

/**
 * Builds the MIME message of a checked send request with nodemailer's MailComposer (the builder
 * behind nodemailer itself): multipart/alternative for text + HTML, multipart/related for inline
 * images, multipart/mixed for attachments, encoded words for non-ASCII headers, CRLF line ends.
 * Bcc is left out of the headers (it is only in the envelope), as a mail client does.
 *
 * File and URL access are switched off: content comes from the request, never from a path or a
 * fetch (the request cannot name one anyway; this is the second lock).
 *
 * The composer loads at the first message composed, as the relay's client does (relay-client.ts).
 */
export async function composeMessage(request: ValidSendRequest, domain: string): Promise<Buffer> {
  const { default: MailComposer } = await import("nodemailer/lib/mail-composer");
  const composer = new MailComposer({
    from: address(request.from),
    to: request.to.map(address),
    cc: request.cc.map(address),
    bcc: request.bcc.map(address),
    replyTo: request.replyTo.map(address),
    subject: request.subject,
    ...(request.text === null ? {} : { text: request.text }),
    ...(request.html === null ? {} : { html: request.html }),
    attachments: request.attachments.map((attachment) => ({
      filename: attachment.filename,
      content: attachment.content,
      ...(attachment.contentType === null ? {} : { contentType: attachment.contentType }),
      ...(attachment.contentId === null ? {} : { cid: attachment.contentId }),
      contentDisposition: attachment.disposition,
    })),
    headers: request.headers,
    // Generated Message-IDs name the sandbox's domain, not the sender's.
    messageId: request.messageId ?? generatedMessageId(domain),
    date: request.date ?? new Date(),
    newline: "win",
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}

function address(mailbox: Mailbox): { name: string; address: string } {
  return { name: mailbox.name, address: mailbox.address };
}

function generatedMessageId(domain: string): string {
  return `<${crypto.randomUUID()}@${domain}>`;
}
