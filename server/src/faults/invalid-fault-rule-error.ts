/** A fault rule (API body, SDK call or `--chaos` value) that cannot be used; `parameter` names the field. */
export class InvalidFaultRuleError extends Error {
  override name = "InvalidFaultRuleError" as const;

  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

export function isInvalidFaultRuleError(error: unknown): error is InvalidFaultRuleError {
  return error instanceof InvalidFaultRuleError;
}
