/**
 * A release or rule the relay policy forbids: no relay is configured, or a recipient is not matched
 * by `--relay-allow`. Nothing was queued. `parameter` names the request field, when one is at fault.
 */
export class RelayRefusedError extends Error {
  override readonly name = "RelayRefusedError" as const;

  constructor(
    message: string,
    readonly reason: "not_configured" | "recipient_not_allowed",
    readonly parameter: string | null = null,
  ) {
    super(message);
  }
}

/** A release request or rule that is malformed; `parameter` names the field. */
export class InvalidReleaseError extends Error {
  override readonly name = "InvalidReleaseError" as const;

  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

/** No message, release or rule with this id. */
export class UnknownReleaseError extends Error {
  override readonly name = "UnknownReleaseError" as const;

  constructor(
    readonly kind: "message" | "release" | "rule",
    readonly id: string,
  ) {
    super(`No ${kind} with id ${JSON.stringify(id)}`);
  }
}

/**
 * The first attempt of a release failed (the relay refused it or could not be reached), for a caller
 * that answers only after trying (MailDev's relay route). The release stays queued and is retried.
 */
export class ReleaseAttemptFailedError extends Error {
  override readonly name = "ReleaseAttemptFailedError" as const;

  constructor(
    readonly releaseId: string,
    reason: string,
    readonly retried: boolean,
  ) {
    super(
      `The relay did not take the message: ${reason}. ` +
        (retried ? `Release ${releaseId} is retried later` : `Release ${releaseId} was given up`),
    );
  }
}
