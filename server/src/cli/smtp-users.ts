import { readFile } from "node:fs/promises";
import { ConfigError } from "./config-error.js";

/** A user name SMTP AUTH can carry: no whitespace or control characters (they end or split the SASL token). */
const USER_NAME = /^[^\s\x00-\x1f\x7f:]+$/;

/** `user:pass` → [user, pass]. The first colon splits, so a password may contain colons. */
export function parseUserPassword(raw: string, source: string): [string, string] {
  const colon = raw.indexOf(":");
  const user = colon === -1 ? "" : raw.slice(0, colon);
  const password = colon === -1 ? "" : raw.slice(colon + 1);
  if (!USER_NAME.test(user) || password === "" || /[\x00-\x1f\x7f]/.test(password)) {
    const shown = colon === -1 ? JSON.stringify(raw) : `${JSON.stringify(`${user}:`)}…`;
    throw new ConfigError(`${source}: expected user:password with both parts non-empty, got ${shown}`);
  }
  return [user, password];
}

/**
 * The `--smtp-auth-file` format: one `user:password` per line; blank lines and lines starting
 * with `#` are skipped; surrounding whitespace of a line is ignored. A user given twice is refused.
 */
export function parseSmtpUsersFile(
  text: string,
  file: string,
  flag = "--smtp-auth-file",
): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const [user, password] = parseUserPassword(trimmed, `${flag} ${file} line ${index + 1}`);
    if (users.has(user)) {
      throw new ConfigError(
        `${flag} ${file} line ${index + 1}: user ${JSON.stringify(user)} is listed twice`,
      );
    }
    users.set(user, password);
  });
  return users;
}

/** Also reads `--retrieval-auth-file` (same format), naming that flag in its errors. */
export async function readSmtpUsersFile(
  file: string,
  flag = "--smtp-auth-file",
): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${flag} ${file}: cannot read it (${reason})`);
  }
  const users = parseSmtpUsersFile(text, file, flag);
  if (users.size === 0) throw new ConfigError(`${flag} ${file}: no user:password lines in it`);
  return users;
}

/** Users from the flags plus the file; a user in both must have the same password. */
export function mergeSmtpUsers(
  fromFlags: ReadonlyMap<string, string> | null,
  fromFile: ReadonlyMap<string, string>,
  file: string,
): Map<string, string> {
  const merged = new Map(fromFlags ?? []);
  for (const [user, password] of fromFile) {
    if (merged.has(user) && merged.get(user) !== password) {
      throw new ConfigError(
        `--smtp-auth-file ${file}: user ${JSON.stringify(user)} is also given by --smtp-auth with another password`,
      );
    }
    merged.set(user, password);
  }
  return merged;
}
