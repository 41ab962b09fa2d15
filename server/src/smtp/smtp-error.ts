/**
 * An error a hook hands back to smtp-server: `responseCode` is the reply code the client gets
 * (smtp-server adds the enhanced status code that belongs to it when ENHANCEDSTATUSCODES is on).
 */
export class SmtpReplyError extends Error {
  override name = "SmtpReplyError" as const;
  readonly responseCode: number;
  /** Short stable slug for the `smtp.rejected` event (e.g. "size", "storage", "auth"). */
  readonly reason: string;

  constructor(responseCode: number, message: string, reason: string) {
    super(message);
    this.responseCode = responseCode;
    this.reason = reason;
  }
}
