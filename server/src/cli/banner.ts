import type { Sandbox } from "../sandbox.js";

/** What the operator needs at startup: where to send mail, where to look at it, where it is kept. */
export function startupBanner(sandbox: Sandbox, version: string): string[] {
  const { config } = sandbox;
  return [
    `mailnest ${version}`,
    `  SMTP      smtp://${hostForUrl(config.host)}:${sandbox.smtpPort} (no TLS; any or no credentials)`,
    `  Web + API ${sandbox.url}${config.webRoot === null ? " (API only: the web viewer is not built)" : ""}`,
    `  Data      ${config.dataDir === null ? "in memory (gone on exit)" : config.dataDir}`,
    `  Limits    ${config.maxMessages} messages${config.maxAgeMs === null ? "" : `, ${formatDuration(config.maxAgeMs)} max age`}, ${formatBytes(config.maxMessageSize)} per message, ${config.maxRecipients} recipients`,
  ];
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ["GB", 1024 ** 3],
    ["MB", 1024 ** 2],
    ["KB", 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
