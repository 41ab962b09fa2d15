// A slow webhook receiver in its own process, so answering deliveries costs the load generator
// nothing. Answers every POST with 200 after `delayMs` (at once on `/warm-up`, where a server's
// warm-up deliveries go); tells the parent each message id it got on any other path.
import { createServer } from "node:http";

const delayMs = Number(process.argv[2] ?? 20);
const server = createServer((request, response) => {
  /** @type {Buffer[]} */
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    if (request.url === "/warm-up") {
      response.writeHead(200).end();
      return;
    }
    setTimeout(() => {
      try {
        const id = JSON.parse(Buffer.concat(chunks).toString("utf8"))?.data?.message?.id;
        if (typeof id === "string") process.send?.({ type: "seen", id });
      } catch {
        // Not a Mailnest event; answered all the same.
      }
      response.writeHead(200).end();
    }, delayMs);
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  process.send?.({ type: "ready", port: address.port });
});
process.on("message", (/** @type {{ type?: string } | null} */ message) => {
  if (message?.type === "close") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
