import type { Message } from "../message/message.js";
import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

/** `expectNoMessage` saw a matching message arrive. */
export class UnexpectedMessageError extends MailnestError {
  override name = "UnexpectedMessageError";
  /** The message that should not have come. */
  readonly received: Message;

  constructor(message: string, received: Message) {
    super(message);
    this.received = received;
  }
}

export function isUnexpectedMessageError(value: unknown): value is UnexpectedMessageError {
  return isBrandedError(value, ["UnexpectedMessageError"]);
}
