/** A report rule (API body, SDK call or `--report` value) that cannot be used; `parameter` names the field. */
export class InvalidReportRuleError extends Error {
  override name = "InvalidReportRuleError" as const;

  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

export function isInvalidReportRuleError(error: unknown): error is InvalidReportRuleError {
  return error instanceof InvalidReportRuleError;
}
