import { FLAGS } from "./flags.js";

/** The `--help` page, generated from the flag table. */
export function helpText(version: string): string {
  const rows = FLAGS.map((spec) => {
    const names = `${spec.short ? `-${spec.short}, ` : "    "}--${spec.name}${spec.placeholder ? ` ${spec.placeholder}` : ""}`;
    const details = [
      spec.defaultText ? `default: ${spec.defaultText}` : null,
      spec.env ? `env: ${spec.env}` : null,
    ].filter((part): part is string => part !== null);
    return { names, description: spec.description, details: details.join(", ") };
  });
  const width = Math.max(...rows.map((row) => row.names.length)) + 2;
  const lines = rows.flatMap((row) => {
    const first = `  ${row.names.padEnd(width)}${row.description}`;
    return row.details ? [first, `  ${" ".repeat(width)}(${row.details})`] : [first];
  });
  return [
    `mailnest ${version}: a catch-all SMTP server that captures mail for tests, with an HTTP API and a web viewer`,
    "",
    "Usage: mailnest [options]",
    "",
    "Options (each also as an environment variable; a flag wins over its variable):",
    ...lines,
    "",
    "Point your app at SMTP host 127.0.0.1, port 1025, no TLS, any (or no) credentials.",
    "Staging-style: --tls (STARTTLS with a self-signed certificate), --smtps-port 1465, --smtp-auth user:pass.",
    "Settings for nodemailer, Django, Rails, Laravel and Spring, and fault injection: docs/smtp.md.",
    "In CI (GitHub Actions, GitLab CI, Playwright's webServer, Jest's globalSetup, compose): docs/ci.md.",
    "The docs are in the docs/ folder of the installed package (node_modules/@mailnest/server/docs/).",
    "",
  ].join("\n");
}
