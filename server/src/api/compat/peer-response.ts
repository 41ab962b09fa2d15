import type { Response } from "express";

/**
 * How the peer routes answer where Mailnest's own routes have no equivalent.
 */

/**
 * A peer's rendered HTML body (Mailpit's `/view/{ID}.html`, MailDev's `/email/:id/html`): as
 * sandboxed as Mailnest's own HTML view, except that images may come from this server, because
 * both peers rewrite `cid:` references into links to their attachment routes.
 */
export const PEER_HTML_CSP =
  "sandbox; default-src 'none'; img-src 'self' data: cid:; style-src 'unsafe-inline'";

/**
 * The path prefix the client used to reach a peer route: `base` (`/mailpit`), or "" when it came
 * in at the root through `--compat` (`http/peer-paths.ts` records that in `res.locals`). Links a peer
 * writes into a response (inline images) use it, so they work for the client that asked.
 */
export function publicBase(res: Response, base: string): string {
  return res.locals.peerRootOwner === undefined ? base : "";
}
