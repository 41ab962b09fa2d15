import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Checks `--api-token`. Both sides are hashed first so `timingSafeEqual` gets equal lengths and
 * the comparison time says nothing about the token, not even its length.
 */
export class ApiToken {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  matches(candidate: string | null): boolean {
    return candidate !== null && timingSafeEqual(this.#digest, digest(candidate));
  }

  /**
   * Whether the request carries the token: `Authorization: Bearer` always, `?token=` only when
   * `allowQuery` (links a browser opens itself, where it cannot set headers), and as the password of
   * `Authorization: Basic` only when `allowBasic` (the peers' API clients send that:
   * docs/compatibility.md).
   */
  admits(req: IncomingMessage, allowQuery: boolean, allowBasic = false): boolean {
    if (this.matches(bearerToken(req.headers.authorization))) return true;
    if (allowBasic && this.matches(basicPassword(req.headers.authorization))) return true;
    return allowQuery && this.matches(queryToken(req.url ?? ""));
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** The password of `Authorization: Basic base64(user:password)`; the user name is not looked at. */
export function basicPassword(header: string | undefined): string | null {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(header ?? "");
  if (!match?.[1]) return null;
  const credentials = Buffer.from(match[1], "base64").toString("utf8");
  const colon = credentials.indexOf(":");
  return colon === -1 ? null : credentials.slice(colon + 1);
}

function queryToken(url: string): string | null {
  const query = url.indexOf("?");
  if (query === -1) return null;
  const tokens = new URLSearchParams(url.slice(query + 1)).getAll("token");
  return tokens.length === 1 ? tokens[0]! : null;
}
