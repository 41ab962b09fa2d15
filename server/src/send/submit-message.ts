import { Readable } from "node:stream";
import type { MessageStore } from "../store/message-store.js";
import type { IncomingEnvelope, StoredMessage } from "../store/model.js";
import { composeMessage } from "./compose-message.js";
import { parseSendRequest } from "./send-request.js";

export interface SubmitOptions {
  /** The SMTP size limit (`--max-message-size`): the built message must fit it, as over SMTP. */
  maxSize: number;
  maxRecipients: number;
  /** The sandbox's domain, for generated Message-IDs. */
  domain: string;
  /** The HTTP client's address, recorded as the envelope's `remoteAddress`. */
  remoteAddress: string;
}

/**
 * `POST /api/send`: checks the request, builds the MIME message and stores it through the same
 * `ingest` as SMTP mail, so it is listed, waited for, announced and delivered to webhooks exactly
 * like mail that came over SMTP. The envelope says `submittedVia: "api"`; MAIL FROM is the `from`
 * address and RCPT TO every `to`, `cc` and `bcc` address.
 *
 * Rejects with `InvalidSendRequestError` for a bad request, and with the store's errors otherwise
 * (`MessageTooLargeError` when the built message is over `maxSize`, as SMTP's 552).
 */
export async function submitMessage(
  store: Pick<MessageStore, "ingest">,
  body: unknown,
  options: SubmitOptions,
): Promise<StoredMessage> {
  const request = parseSendRequest(body, options);
  const raw = await composeMessage(request, options.domain);
  const rcptTo = [
    ...new Set([...request.to, ...request.cc, ...request.bcc].map((mailbox) => mailbox.address)),
  ];
  const envelope: IncomingEnvelope = {
    mailFrom: request.from.address,
    rcptTo,
    remoteAddress: options.remoteAddress,
    heloName: "",
    authUser: null,
    tls: null,
    submittedVia: "api",
  };
  return store.ingest(Readable.from([raw]), envelope, { maxSize: options.maxSize });
}
