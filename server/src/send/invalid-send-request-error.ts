/** A `POST /api/send` body that cannot be built into a message; `parameter` names the field. */
export class InvalidSendRequestError extends Error {
  override readonly name = "InvalidSendRequestError" as const;

  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}
