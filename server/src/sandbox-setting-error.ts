/**
 * A setting the sandbox refuses once it sees what it starts on (a report relay that is its own SMTP
 * listener). Its message is one line, fit to print as is; the CLI prints no stack for it.
 */
export class SandboxSettingError extends Error {
  override name = "SandboxSettingError" as const;
}
