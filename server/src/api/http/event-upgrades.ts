import type { IncomingMessage } from "node:http";
import path from "node:path";
import type { Duplex } from "node:stream";
import { ERROR_STATUS, type ErrorCode, EVENTS_PATH } from "@mailnest/protocol";
import type { MailnestConfig } from "../../config.js";
import { ApiToken } from "./api-token.js";
import type { UpgradeHandler } from "./http-server.js";
import { hostHeaderAllowed, originAllowed } from "./origin-policy.js";

/** Who may open the WebSocket: the same rules as the routes (`access-guards.ts`). */
export type EventUpgradeConfig = Pick<MailnestConfig, "host" | "corsOrigins" | "apiToken">;

/**
 * The HTTP side of `/api/events`: an upgrade reaches `hub` (the event hub) only at that path and
 * past the Host, Origin and token checks; anything else is answered on the raw socket and closed.
 * A browser lets any page open a WebSocket to any origin (no CORS), so the Origin check is what
 * stops cross-site WebSocket hijacking.
 */
export function guardEventUpgrades(config: EventUpgradeConfig, hub: UpgradeHandler): UpgradeHandler {
  const token = config.apiToken === null ? null : new ApiToken(config.apiToken);

  /** Why an upgrade is refused, or null: path, then Host, then Origin, then token. */
  const refusal = (req: IncomingMessage): [code: ErrorCode, message: string] | null => {
    if (requestPath(req.url) !== EVENTS_PATH) return ["not_found", "No WebSocket at this path"];
    if (!hostHeaderAllowed(config.host, req.headers.host))
      return ["forbidden", "Host is not a loopback name"];
    if (!originAllowed(req.headers.origin, req.headers.host, config.corsOrigins)) {
      return ["forbidden", "Origin not allowed"];
    }
    if (token && !token.admits(req, true)) {
      return ["unauthorized", "This server requires an API token: ?token=<token>"];
    }
    return null;
  };

  return {
    handleUpgrade(req, socket, head) {
      socket.on("error", () => socket.destroy());
      const refused = refusal(req);
      if (refused) refuse(socket, ...refused);
      else hub.handleUpgrade(req, socket, head);
    },
    close: () => hub.close(),
  };
}

/** The decoded, dot-segment-free path: `/api/%65vents/` and `/x/../api/events` both mean `/api/events`. */
export function requestPath(url: string | undefined): string | null {
  try {
    const decoded = decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname);
    const normalised = path.posix.normalize(decoded);
    return normalised.length > 1 ? normalised.replace(/\/+$/, "") : normalised;
  } catch {
    return null;
  }
}

const STATUS_TEXT: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" };

/** An HTTP answer on the raw socket (there is no `res` during an upgrade), then the socket is closed. */
function refuse(socket: Duplex, code: ErrorCode, message: string): void {
  const status = ERROR_STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="mailnest"\r\n' : "";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
    () => socket.destroy(),
  );
}
