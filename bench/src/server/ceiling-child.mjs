// "Our stack's ceiling": the same patched smtp-server with a DATA handler that discards everything,
// so the suite can show, on this machine, how much of each figure the protocol engine alone costs.
import { createRequire } from "node:module";
import { serveParent } from "./child-protocol.mjs";

// Resolve smtp-server from the server package, so the ceiling runs the exact (patched) version.
const requireFromServer = createRequire(new URL("../../../server/package.json", import.meta.url));
const { SMTPServer } = requireFromServer("smtp-server");

const server = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  greetingDelay: 0,
  logger: false,
  size: 32 * 1024 * 1024,
  /**
   * @param {NodeJS.ReadableStream} stream
   * @param {unknown} _session
   * @param {(error: Error | null) => void} callback
   */
  onData(stream, _session, callback) {
    stream.on("end", () => callback(null));
    stream.resume();
  },
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
serveParent(
  { smtpPort: server.server.address().port, httpPort: null },
  () => new Promise((resolve) => server.close(resolve)),
);
