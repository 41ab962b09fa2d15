/** A flag or environment value the CLI cannot use. The message is one line, fit to print as is. */
export class ConfigError extends Error {
  override name = "ConfigError" as const;
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
