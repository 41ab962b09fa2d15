import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CliProcess } from "../test-support/cli-process.js";
import { ConfigError } from "./config-error.js";
import { type CliCommand, parseCommandLine } from "./parse-config.js";

const run = (argv: string[], env: Record<string, string> = {}) => {
  const command: CliCommand = parseCommandLine(argv, env, "/srv/app");
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command;
};

describe("POP3 and IMAP flags (docs/retrieval.md)", () => {
  it("turns POP3 and IMAP on at 1110 and 1143 unless told otherwise", () => {
    expect(run([]).config).toMatchObject({
      pop3Port: 1110,
      imapPort: 1143,
      pop3sPort: null,
      imapsPort: null,
      retrievalCatchAll: "*",
      retrievalUsers: null,
    });
    expect(run([]).retrievalAuthFile).toBeNull();
  });

  it("reads ports, off, the catch-all login and the auth file from flags and MAILNEST_* variables", () => {
    const command = run(
      ["--pop3-port", "off", "--imaps-port", "1993", "--retrieval-auth-file", "mailboxes.txt"],
      { MAILNEST_IMAP_PORT: "2143", MAILNEST_POP3S_PORT: "1995", MAILNEST_RETRIEVAL_CATCH_ALL: "everything" },
    );
    expect(command.config).toMatchObject({
      pop3Port: null,
      imapPort: 2143,
      pop3sPort: 1995,
      imapsPort: 1993,
      retrievalCatchAll: "everything",
    });
    expect(command.retrievalAuthFile).toBe("/srv/app/mailboxes.txt");
  });

  it("refuses a port used twice and a bad port", () => {
    expect(() => run(["--imap-port", "1025"])).toThrow(
      new ConfigError("--smtp-port and --imap-port are both 1025; they must differ"),
    );
    expect(() => run(["--pop3-port", "nope"])).toThrow(ConfigError);
  });
});

describe("the CLI with POP3 and IMAP", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("prints them in the banner and reads --retrieval-auth-file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mailnest-cli-"));
    dirs.push(dir);
    const authFile = path.join(dir, "mailboxes.txt");
    await writeFile(authFile, "# who may read\nada@mailnest.test:s3cret\n*:admin\n");
    const cli = new CliProcess([
      "--smtp-port",
      "0",
      "--http-port",
      "0",
      "--in-memory",
      "--retrieval-auth-file",
      authFile,
    ]);
    try {
      await cli.listening();
      expect(cli.stdout).toMatch(/ {2}POP3 {6}pop3:\/\/127\.0\.0\.1:\d+ \(plain, no STLS\)\n/);
      expect(cli.stdout).toMatch(/ {2}IMAP {6}imap:\/\/127\.0\.0\.1:\d+ \(plain, no STARTTLS\)\n/);
      expect(cli.stdout).toContain(
        "  Mailboxes log in as an inbox address, or as * for every inbox; 2 logins (--retrieval-auth-file)\n",
      );
    } finally {
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
  });

  it("names --retrieval-auth-file when it cannot be read", async () => {
    const cli = new CliProcess(["--in-memory", "--retrieval-auth-file", "/nonexistent/mailboxes.txt"]);
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr).toBe(
      "mailnest: --retrieval-auth-file /nonexistent/mailboxes.txt: cannot read it (ENOENT)\n",
    );
  });
});
