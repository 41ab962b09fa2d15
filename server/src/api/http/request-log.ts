import type { RequestHandler } from "express";

/** One line per request when not `--quiet`: method, path (no query: it may hold the token), status, time. */
export const requestLog: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.on("close", () => {
    const status = res.writableFinished ? String(res.statusCode) : "aborted";
    console.log(
      `mailnest http: ${req.method} ${req.path} ${status} ${Math.round(performance.now() - started)}ms`,
    );
  });
  next();
};
