import type { BrowserContext } from "@playwright/test";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export interface NetworkLog {
  /** Every request the browser attempted to a host other than loopback (all were aborted). */
  readonly remote: string[];
  /** Every request, local ones included. */
  readonly all: string[];
}

/**
 * Routes every request of the context: loopback requests go through, anything else is recorded and
 * aborted, so a test can assert what *would* have left the machine, without it leaving.
 */
export async function recordNetwork(context: BrowserContext): Promise<NetworkLog> {
  const log: NetworkLog = { remote: [], all: [] };
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    log.all.push(url);
    const { protocol, hostname } = new URL(url);
    if (
      (protocol === "http:" || protocol === "https:" || protocol === "ws:") &&
      LOOPBACK_HOSTS.has(hostname)
    ) {
      await route.continue();
      return;
    }
    log.remote.push(url);
    await route.abort("blockedbyclient");
  });
  return log;
}
