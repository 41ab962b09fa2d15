import type { Duplex } from "node:stream";
import { ERROR_STATUS, type ErrorCode } from "@mailnest/protocol";

/**
 * Answers a request that Node's HTTP parser refused before any route saw it (headers above its
 * 16 KiB limit, a malformed request line, a body framing it cannot read) with the API's JSON error
 * instead of Node's default, a bare status line with no body. The connection is closed after it:
 * the parser cannot find where the next request would begin.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // The peer is gone, or a response already started on this connection: nothing can be said.
  if (error.code === "ECONNRESET" || !socket.writable || hasResponseInProgress(socket)) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = describe(error.code);
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

type Answer = readonly [status: number, reason: string, code: ErrorCode, message: string];

function describe(parserCode: string | undefined): Answer {
  switch (parserCode) {
    case "HPE_HEADER_OVERFLOW":
      return [
        ERROR_STATUS.request_headers_too_large,
        "Request Header Fields Too Large",
        "request_headers_too_large",
        "The request line and headers are above 16 KiB: send long filters in fewer or shorter parameters",
      ];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      // Node's requestTimeout: the request was not complete in time.
      return [
        ERROR_STATUS.request_timeout,
        "Request Timeout",
        "request_timeout",
        "The request was not received in time",
      ];
    default:
      return [
        ERROR_STATUS.malformed_request,
        "Bad Request",
        "malformed_request",
        `The request is not well-formed HTTP (${parserCode ?? "unreadable"})`,
      ];
  }
}

/** Node keeps the response being written on the socket; its headers may already be out. */
function hasResponseInProgress(socket: Duplex): boolean {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return response?.headersSent === true;
}
