/** A webhook request that cannot be carried out as asked; `parameter` names the field. */
export class InvalidWebhookError extends Error {
  override readonly name = "InvalidWebhookError" as const;

  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

/** No endpoint or delivery with this id. */
export class UnknownWebhookError extends Error {
  override readonly name = "UnknownWebhookError" as const;

  constructor(
    readonly kind: "endpoint" | "delivery",
    readonly id: string,
  ) {
    super(`No webhook ${kind} with id ${JSON.stringify(id)}`);
  }
}

/**
 * A change the next start would undo: an endpoint given by `--webhook` is matched to its flag by URL,
 * so a new URL (or a deletion) made it look gone at the next start, and it was dropped with the
 * deliveries still queued for it, and made again under a new id.
 */
export class WebhookFromFlagError extends Error {
  override readonly name = "WebhookFromFlagError" as const;
}
