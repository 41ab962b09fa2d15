import type { SendAddress, SendRequest } from "@mailnest/protocol";
import { toBase64 } from "../util/base64.js";
import { describeValue } from "../util/describe.js";

/** An attachment for `mail.send`: bytes, or a string taken as UTF-8 text. */
export interface SendAttachmentOptions {
  filename: string;
  content: Uint8Array | string;
  /** Guessed from the filename when omitted. */
  contentType?: string;
  /** Makes it inline, referable from the HTML as `cid:<contentId>`. */
  contentId?: string;
  disposition?: "attachment" | "inline";
}

/** `mail.send(...)`: the server's `SendRequest`, with attachments as bytes and single addresses allowed. */
export interface SendOptions extends Omit<SendRequest, "to" | "cc" | "bcc" | "replyTo" | "attachments"> {
  to?: SendAddress | SendAddress[];
  cc?: SendAddress | SendAddress[];
  bcc?: SendAddress | SendAddress[];
  replyTo?: SendAddress | SendAddress[];
  attachments?: SendAttachmentOptions[];
}

/** The JSON body of `POST /api/send`; the server checks the rest and says which field is wrong. */
export function toSendRequest(options: SendOptions): SendRequest {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Expected send options such as { from: "app@example.test", to: "a@example.test", subject: "Hi" }; got ${describeValue(options)}`,
    );
  }
  const { to, cc, bcc, replyTo, attachments, ...rest } = options;
  const list = (value: SendAddress | SendAddress[] | undefined) =>
    value === undefined ? undefined : Array.isArray(value) ? value : [value];
  const request: SendRequest = { ...rest };
  for (const [key, value] of [
    ["to", list(to)],
    ["cc", list(cc)],
    ["bcc", list(bcc)],
    ["replyTo", list(replyTo)],
  ] as const) {
    if (value !== undefined) request[key] = value;
  }
  if (attachments !== undefined) {
    request.attachments = attachments.map(({ content, ...attachment }) => ({
      ...attachment,
      content: toBase64(typeof content === "string" ? new TextEncoder().encode(content) : content),
    }));
  }
  return request;
}
