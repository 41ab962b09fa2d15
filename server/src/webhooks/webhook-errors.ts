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
