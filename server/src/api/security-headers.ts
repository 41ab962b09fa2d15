import type { RequestHandler } from "express";

/**
 * Set on every response. `SAMEORIGIN` rather than `DENY` because the web viewer frames
 * `/api/messages/:id/html` from its own origin; that route adds its own sandboxing CSP.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "SAMEORIGIN");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  next();
};

/**
 * For captured content (HTML bodies, raw messages, attachments): it comes from strangers and is
 * served from the API's origin, so it must never run script there, even if a browser renders it.
 */
export const UNTRUSTED_CONTENT_CSP = "sandbox; default-src 'none'";

/** The HTML body view (docs/api.md): inline styles and embedded images render, nothing loads or runs. */
export const MESSAGE_HTML_CSP = "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'";
