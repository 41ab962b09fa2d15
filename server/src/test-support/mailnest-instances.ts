import type { MessagePage } from "@mailnest/protocol";
import { CliProcess } from "./cli-process.js";

/** A graceful stop may take this long (messages in DATA finish, the pool closes) before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;
/** Several processes compiling the sources through tsx at once, on a busy 2-core CI machine, start slowly. */
const START_TIMEOUT_MS = 60_000;

/** One `mailnest` process of a multi-instance test: its own ports, the shared database. */
export interface MailnestInstance {
  readonly name: string;
  readonly cli: CliProcess;
  readonly smtpPort: number;
  /** Base URL of its HTTP API, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
}

/**
 * Starts one real `mailnest` process per name, all on `databaseUrl` (`--store`), each on free
 * ports, side by side; `cleanup` stops each (SIGTERM, then SIGKILL if it hangs). Rejects with the
 * process's own output if one fails to start.
 */
export async function startInstances(
  cleanup: (task: () => unknown) => void,
  databaseUrl: string,
  names: readonly string[],
  extraArgs: readonly string[] = [],
): Promise<MailnestInstance[]> {
  const clis = names.map((name) => {
    const cli = new CliProcess([
      "--store",
      databaseUrl,
      "--smtp-port",
      "0",
      "--http-port",
      "0",
      ...extraArgs,
    ]);
    cleanup(() => stopInstance(cli));
    return { name, cli };
  });
  return Promise.all(
    clis.map(async ({ name, cli }) => {
      const { smtpPort, url } = await cli.listening(START_TIMEOUT_MS);
      return { name, cli, smtpPort, url };
    }),
  );
}

/** SIGTERM and wait for the exit; SIGKILL when it takes longer than a graceful stop should. */
export async function stopInstance(cli: CliProcess): Promise<void> {
  cli.kill("SIGTERM");
  const timer = setTimeout(() => cli.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await cli.exited;
  clearTimeout(timer);
}

/** Every message id the instance lists (`GET /api/messages`, page by page, at most `maxPages`). */
export async function listedIds(url: string, maxPages = 100): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: "500", ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${url}/api/messages?${query}`);
    if (!response.ok) throw new Error(`GET ${url}/api/messages: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as MessagePage;
    for (const summary of body.messages) ids.add(summary.id);
    cursor = body.nextCursor;
    if (cursor === null) return ids;
  }
  throw new Error(`${url} listed more than ${maxPages} pages`);
}

/**
 * The ids of `expected` that `url` does not list, after giving it the time replication takes: an
 * instance lists mail another instance acknowledged once it has heard the change (a NOTIFY away),
 * so this looks again with growing pauses, at most `attempts` times, before it answers.
 */
export async function missingFrom(url: string, expected: Iterable<string>, attempts = 12): Promise<string[]> {
  let missing: string[] = [...expected];
  for (let attempt = 0, pauseMs = 25; attempt < attempts; attempt++, pauseMs = Math.min(pauseMs * 2, 1_000)) {
    const listed = await listedIds(url);
    missing = missing.filter((id) => !listed.has(id));
    if (missing.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return missing;
}

/** The same database URL with a password in it (trust authentication ignores it): for tests that it is never shown. */
export function withPassword(databaseUrl: string, password: string): string {
  const url = new URL(databaseUrl);
  url.password = password;
  return url.toString();
}
