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
   * `allowQuery` (links a browser opens itself, where it cannot set headers).
   */
  admits(req: IncomingMessage, allowQuery: boolean): boolean {
    if (this.matches(bearerToken(req.headers.authorization))) return true;
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

function queryToken(url: string): string | null {
  const query = url.indexOf("?");
  if (query === -1) return null;
  const tokens = new URLSearchParams(url.slice(query + 1)).getAll("token");
  return tokens.length === 1 ? tokens[0]! : null;
}
