import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ForeignPage {
  /** `http://127.0.0.1:<port>/`: another origin than the sandbox (same site, as another port on one host is). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves one HTML page from its own port on loopback: the page of "another site" in cross-origin
 * tests. Every path answers the same page; nothing else is served.
 */
export async function serveForeignPage(html: string): Promise<ForeignPage> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
