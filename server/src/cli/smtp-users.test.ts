import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { ConfigError } from "./config-error.js";
import { mergeSmtpUsers, parseSmtpUsersFile, parseUserPassword, readSmtpUsersFile } from "./smtp-users.js";

const cleanup = useCleanup();

describe("parseUserPassword", () => {
  it("splits at the first colon, so passwords may contain colons", () => {
    expect(parseUserPassword("app:pa:ss", "--smtp-auth")).toEqual(["app", "pa:ss"]);
  });

  it.each(["app", ":pw", "app:", "a b:pw", "app:p\tw"])("refuses %j without echoing a password", (raw) => {
    expect(() => parseUserPassword(raw, "--smtp-auth")).toThrow(ConfigError);
  });

  it("does not put the password in the error", () => {
    expect(() => parseUserPassword("a b:topsecret", "--smtp-auth")).toThrow(/^(?!.*topsecret)/);
  });
});

describe("the --smtp-auth-file format", () => {
  it("takes one user:password per line and skips blank lines and # comments", () => {
    const users = parseSmtpUsersFile("# staging\napp:s3cret\r\n\n  worker:x:y  \n#old:pw\n", "users.txt");
    expect(users).toEqual(
      new Map([
        ["app", "s3cret"],
        ["worker", "x:y"],
      ]),
    );
  });

  it("names the file and the line of a bad entry, and refuses a user listed twice", () => {
    expect(() => parseSmtpUsersFile("app:1\nbroken\n", "users.txt")).toThrow(
      "--smtp-auth-file users.txt line 2: expected user:password",
    );
    expect(() => parseSmtpUsersFile("app:1\napp:2\n", "users.txt")).toThrow(
      'line 2: user "app" is listed twice',
    );
  });

  it("reads the file; a missing or empty one is a ConfigError", async () => {
    const dir = await tempDir(cleanup);
    const file = path.join(dir, "users.txt");
    await expect(readSmtpUsersFile(file)).rejects.toThrow(
      `--smtp-auth-file ${file}: cannot read it (ENOENT)`,
    );
    await writeFile(file, "# nobody yet\n");
    await expect(readSmtpUsersFile(file)).rejects.toThrow("no user:password lines");
    await writeFile(file, "app:pw\n");
    expect(await readSmtpUsersFile(file)).toEqual(new Map([["app", "pw"]]));
  });

  it("merges with --smtp-auth users, refusing one user with two passwords", () => {
    const merged = mergeSmtpUsers(new Map([["a", "1"]]), new Map([["b", "2"]]), "f");
    expect([...merged]).toEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(mergeSmtpUsers(null, new Map([["a", "1"]]), "f")).toEqual(new Map([["a", "1"]]));
    expect(() => mergeSmtpUsers(new Map([["a", "1"]]), new Map([["a", "2"]]), "f")).toThrow(ConfigError);
  });
});
