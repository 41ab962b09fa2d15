import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";

/**
 * Streams stored bytes to the client. A client that hangs up mid-download is not an error worth a
 * log line; any other failure reaches the error handler, which cuts the response.
 */
export async function sendStream(req: Request, res: Response, content: Readable): Promise<void> {
  if (req.method === "HEAD") {
    content.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(content, res);
  } catch (error) {
    if (res.destroyed && isPrematureClose(error)) return;
    throw error;
  }
}

function isPrematureClose(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    error.code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}
