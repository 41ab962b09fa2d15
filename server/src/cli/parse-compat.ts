import type { CompatPeer } from "../config.js";
import { ConfigError } from "./config-error.js";

/** `--compat` (docs/compatibility.md): which peers' APIs also answer at their own root paths. */

const PEERS: readonly CompatPeer[] = ["mailpit", "mailhog", "maildev"];

export function parseCompatPeer(raw: string, source: string): CompatPeer | "none" {
  const value = raw.trim().toLowerCase();
  if (value === "none" || (PEERS as readonly string[]).includes(value)) return value as CompatPeer | "none";
  throw new ConfigError(`${source}: expected mailpit, mailhog, maildev or none, got ${JSON.stringify(raw)}`);
}

/** What was given, the defaults when nothing was; `none` alone turns every root path off. */
export function compatPeers(
  given: ReadonlyArray<CompatPeer | "none">,
  defaults: readonly CompatPeer[],
): CompatPeer[] {
  if (given.length === 0) return [...defaults];
  if (given.includes("none")) {
    if (given.length > 1) throw new ConfigError("--compat none cannot go with a peer: give one or the other");
    return [];
  }
  const peers = [...new Set(given as CompatPeer[])];
  if (peers.includes("mailpit") && peers.includes("mailhog")) {
    throw new ConfigError(
      "--compat mailpit and mailhog both answer /api/v1/messages: choose one " +
        "(the other stays reachable under /mailpit or /mailhog)",
    );
  }
  return peers;
}
