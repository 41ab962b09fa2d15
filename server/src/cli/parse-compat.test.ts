import { describe, expect, it } from "vitest";
import { describePeers } from "./banner.js";
import { ConfigError } from "./config-error.js";
import { parseCommandLine } from "./parse-config.js";

function compat(argv: string[], env: Record<string, string> = {}) {
  const command = parseCommandLine(argv, env, "/srv/app");
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command.config.compat;
}

function reasonFor(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(argv, env, "/srv/app");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe("--compat", () => {
  it("mounts Mailpit and MailDev at their root paths by default", () => {
    expect(compat([])).toEqual(["mailpit", "maildev"]);
  });

  it("takes peers from the flag (repeatable) or MAILNEST_COMPAT (comma-separated), none for no root paths", () => {
    expect(compat(["--compat", "mailhog", "--compat", "MailDev"])).toEqual(["mailhog", "maildev"]);
    expect(compat([], { MAILNEST_COMPAT: "mailhog, maildev" })).toEqual(["mailhog", "maildev"]);
    expect(compat(["--compat", "none"])).toEqual([]);
    expect(compat(["--compat", "mailpit"], { MAILNEST_COMPAT: "mailhog" })).toEqual(["mailpit"]);
  });

  it("refuses Mailpit with MailHog (both use /api/v1/messages), unknown peers, and none with a peer", () => {
    expect(reasonFor(["--compat", "mailpit", "--compat", "mailhog"])).toMatch(
      /both answer \/api\/v1\/messages/,
    );
    expect(reasonFor(["--compat", "mailcatcher"])).toBe(
      '--compat: expected mailpit, mailhog, maildev or none, got "mailcatcher"',
    );
    expect(reasonFor([], { MAILNEST_COMPAT: "none,maildev" })).toMatch(/none cannot go with a peer/);
  });
});

describe("the banner's Peers line", () => {
  it("says where each peer's API answers", () => {
    expect(describePeers(["mailpit", "maildev"])).toBe(
      "  Peers     Mailpit /api/v1, MailHog /mailhog/api/v2, MailDev /email (docs/compatibility.md)",
    );
    expect(describePeers(["mailhog"])).toBe(
      "  Peers     Mailpit /mailpit/api/v1, MailHog /api/v2, MailDev /maildev/email (docs/compatibility.md)",
    );
  });
});
