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

/**
 * The viewer's own page (`index.html`, its client routes and its assets). The viewer is bundled
 * files from its own origin (Vite injects no inline script), so `script-src 'self'` alone: no
 * inline script, no `eval`, whatever text a captured mail manages to get onto the page.
 * `connect-src 'self'` covers the API and, in CSP Level 3 browsers, the same-origin `ws:` of
 * `/api/events`.
 *
 * Styles, images, fonts and media are wider than the viewer needs, on purpose: the HTML preview is
 * an `about:srcdoc` iframe, and a srcdoc document inherits its parent's policy (HTML, "policy
 * container"), so anything a mail may show there must pass this policy too; the preview's own
 * policy (web/src/render/prepare-html.ts) then narrows it per message: inline styles and `data:`
 * images always, remote `http:`/`https:` ones only after the user allows them. Inline styles also
 * cover index.html's one `<style>` (the background painted before the stylesheet arrives).
 */
export const VIEWER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' http: https:",
  "img-src 'self' data: blob: http: https:",
  "font-src 'self' data: http: https:",
  "media-src data: http: https:",
  "connect-src 'self'",
  "frame-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join("; ");
