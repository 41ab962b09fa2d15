/** Where the run's shared Mailnest listens (set by global-setup.ts). */
export function mailnestUrl(): string {
  return required("MAILNEST_URL");
}

export function mailnestSmtpPort(): number {
  return Number(required("MAILNEST_SMTP_PORT"));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through playwright.config.ts (its global setup sets it)`,
    );
  return value;
}
