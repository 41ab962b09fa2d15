import type { RequestHandler } from "express";
import type { CompatPeer } from "../../config.js";
import { NotFoundError } from "./errors.js";

/**
 * Where the peers' APIs live (docs/compatibility.md; the routes are in `api/compat/`). Each peer
 * always answers under its own prefix; the paths its own server uses at the root are answered too
 * for the peers `--compat` names. Plumbing knows these paths for one reason: none of them may ever
 * get the web viewer's page, mounted or not (a client reading HTML with a 200 as its answer would
 * be silently wrong).
 */

export const PEER_PREFIXES: Readonly<Record<CompatPeer, string>> = {
  mailpit: "/mailpit",
  mailhog: "/mailhog",
  maildev: "/maildev",
};

/** What each peer's own server serves at its root (path prefixes: the path itself and below). */
export const PEER_ROOT_PATHS: Readonly<Record<CompatPeer, readonly string[]>> = {
  mailpit: ["/api/v1", "/view"],
  mailhog: ["/api/v1", "/api/v2"],
  maildev: ["/email", "/healthz", "/api/email", "/api/healthz", "/api/config"],
};

/** `//view/x.html` → `/view/x.html`: cypress-mailpit asks for its HTML and text views with two slashes. */
export function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, "/");
}

export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** Any path of any peer's API, whether `--compat` mounts the peer at the root or not. */
export function isPeerPath(path: string): boolean {
  const clean = collapseSlashes(path).toLowerCase();
  return [...Object.values(PEER_PREFIXES), ...Object.values(PEER_ROOT_PATHS).flat()].some((prefix) =>
    isUnder(clean, prefix),
  );
}

/**
 * Rewrites a root path of a mounted peer to its prefixed route (`/api/v1/info` →
 * `/mailpit/api/v1/info`) and collapses repeated slashes in any peer path. A root path of a
 * peer that is not mounted gets a 404 that says where that peer is.
 */
export function peerRootAliases(mounted: readonly CompatPeer[]): RequestHandler {
  const owners = rootOwners(mounted);
  const prefixes = Object.values(PEER_PREFIXES);
  return (req, res, next) => {
    const path = collapseSlashes(req.path);
    const query = req.url.slice(req.path.length);
    if (prefixes.some((prefix) => isUnder(path, prefix))) {
      if (path !== req.path) req.url = path + query;
      next();
      return;
    }
    const owner = owners.find(({ root }) => isUnder(path, root));
    if (owner) {
      // The peer that answers at its root here; `publicBase` and the 404 of a path it lacks read it.
      res.locals.peerRootOwner = owner.peer;
      req.url = PEER_PREFIXES[owner.peer] + path + query;
      next();
      return;
    }
    const unmounted = (Object.keys(PEER_ROOT_PATHS) as CompatPeer[]).find((peer) =>
      PEER_ROOT_PATHS[peer].some((root) => isUnder(path, root)),
    );
    if (unmounted) {
      next(new NotFoundError(`No route for ${req.method} ${path}: ${whereIs(unmounted, path)}`));
      return;
    }
    next();
  };
}

/**
 * The 404 for a root path the mounted `owner` has no route for: when another peer's server uses
 * the same root (Mailpit's and MailHog's `/api/v1`), it says where that peer is, since the client
 * may well have meant it (`mailnest --compat mailhog`, then a Mailpit client's `/api/v1/search`).
 */
export function peerRootNotFound(method: string, path: string, owner: CompatPeer): NotFoundError {
  const others = (Object.keys(PEER_ROOT_PATHS) as CompatPeer[]).filter(
    (peer) => peer !== owner && PEER_ROOT_PATHS[peer].some((root) => isUnder(path, root)),
  );
  const where = others.map((peer) => whereIs(peer, path)).join("; ");
  return new NotFoundError(
    `No route for ${method} ${path}${where === "" ? "" : ` in ${PEER_NAMES[owner]}'s API, which --compat mounts here: ${where}`}`,
  );
}

/** Where `peer` answers `path`: under its prefix, or at the root with `--compat`. */
function whereIs(peer: CompatPeer, path: string): string {
  return `${PEER_NAMES[peer]}'s API is at ${PEER_PREFIXES[peer]}${path}, or here with --compat ${peer}`;
}

const PEER_NAMES: Readonly<Record<CompatPeer, string>> = {
  mailpit: "Mailpit",
  mailhog: "MailHog",
  maildev: "MailDev",
};

/** Which mounted peer answers each root path: the first one named, so Mailpit and MailHog never share `/api/v1`. */
function rootOwners(mounted: readonly CompatPeer[]): Array<{ peer: CompatPeer; root: string }> {
  const owners: Array<{ peer: CompatPeer; root: string }> = [];
  for (const peer of new Set(mounted)) {
    for (const root of PEER_ROOT_PATHS[peer]) {
      if (!owners.some((owner) => owner.root === root)) owners.push({ peer, root });
    }
  }
  return owners;
}
