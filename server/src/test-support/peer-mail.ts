import type { SendMailOptions } from "nodemailer";

/** Mail the peer-API tests (`api/compat/`) deliver over SMTP. */

/** One text/plain part, no attachments: what MailHog's client reads without a MIME tree. */
export const ORDER_SHIPPED: SendMailOptions = {
  from: "shop@example.test",
  to: "bob@example.test",
  subject: "Order shipped",
  text: "Tracking: 1Z999",
};

/** A 1×1 PNG, for inline images referenced by `cid:`. */
export const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);
