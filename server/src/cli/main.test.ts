import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../sandbox.js";
import { LOCK_FILE } from "../store/data-dir-lock.js";
import { CliProcess, runCli } from "../test-support/cli-process.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, tempDir, testConfig, useCleanup } from "../test-support/test-sandbox.js";
import { FLAGS } from "./flags.js";

const cleanup = useCleanup();

function startCli(args: string[]): CliProcess {
  const cli = new CliProcess(args);
  cleanup(async () => {
    cli.kill("SIGKILL");
    await cli.exited;
  });
  return cli;
}

describe("the mailnest command", () => {
  it("--help lists every flag with its default and environment variable, and exits 0", async () => {
    const result = await runCli(["--help"]);

    expect(result.code).toBe(0);
    for (const spec of FLAGS) {
      expect(result.stdout).toContain(`--${spec.name}`);
      if (spec.env) expect(result.stdout).toContain(spec.env);
    }
  });

  it("--version prints the package version", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });

  it("a bad flag value exits 2 with a one-line reason and no stack trace", async () => {
    const result = await runCli(["--smtp-port", "99999", "--in-memory"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'mailnest: --smtp-port: expected a port number from 0 to 65535 (0 picks a free port), got "99999"\n',
    );
    expect(result.stdout).toBe("");
  });

  it("a bad environment value exits 2 naming the variable", async () => {
    const result = await runCli(["--in-memory"], { env: { MAILNEST_MAX_AGE: "forever" } });

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      'mailnest: MAILNEST_MAX_AGE: expected a duration such as 30s, 15m, 12h or 7d, got "forever"',
    ]);
  });

  it("a port already in use exits 1 with a one-line reason", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanup(() => new Promise((resolve) => blocker.close(resolve)));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;

    const smtp = await runCli(["--in-memory", "--smtp-port", String(port), "--http-port", "0"]);
    expect(smtp.code).toBe(1);
    expect(smtp.stderr.trim().split("\n")).toEqual([
      `mailnest: could not start: the SMTP port 127.0.0.1:${port} is in use by another program: give --smtp-port another port`,
    ]);

    // A port the user may never have asked for (POP3 opens by default) is named with its flag.
    const pop3 = await runCli([
      "--in-memory",
      "--smtp-port",
      "0",
      "--http-port",
      "0",
      "--pop3-port",
      String(port),
    ]);
    expect(pop3.code).toBe(1);
    expect(pop3.stderr.trim().split("\n")).toEqual([
      `mailnest: could not start: the POP3 port 127.0.0.1:${port} is in use by another program: give --pop3-port another port, or off`,
    ]);
  });

  it("a data directory another running mailnest holds exits 1 with a one-line reason", async () => {
    const dataDir = await tempDir(cleanup);
    const first = startCli(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);
    await first.listening();

    const second = await runCli(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);

    expect(second.code).toBe(1);
    expect(second.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /could not start: The data directory .* is in use by another Mailnest \(pid \d+\)/,
      ),
    ]);
  });

  it("prints where SMTP and HTTP listen and where data goes, then on SIGTERM exits 0 keeping the data", async () => {
    const dataDir = await tempDir(cleanup);
    const cli = startCli(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);
    const { smtpPort, url } = await cli.listening();
    expect(cli.stdout).toContain(`Data      ${dataDir}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

    const client = await SmtpTestClient.open(smtpPort);
    cleanup(() => client.destroy());
    const reply = await client.sendMessage({
      from: "a@example.test",
      to: ["kept@example.test"],
      raw: rfc822({ subject: "kept across SIGTERM", body: "x" }),
    });
    expect(reply.code).toBe(250);

    cli.kill("SIGTERM");
    expect(await client.readReply().then((r) => r.code)).toBe(421);
    expect(await cli.exited).toEqual({ code: 0, signal: null });

    const restarted = await startSandbox(testConfig(dataDir));
    cleanup(() => restarted.close());
    const page = await restarted.store.list({ limit: 10, inbox: "kept@example.test" });
    expect(page.messages.map((message) => message.subject)).toEqual(["kept across SIGTERM"]);
  });

  it("a SIGTERM while it starts stops it cleanly once it is up, instead of killing it mid-start", async () => {
    const dataDir = await tempDir(cleanup);
    const cli = startCli(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);
    // The lock is the store's first step: the server is starting, and not up yet.
    while (!existsSync(path.join(dataDir, LOCK_FILE))) await new Promise((resolve) => setTimeout(resolve, 2));
    cli.kill("SIGTERM");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toContain("mailnest: stopped");
    // Closed like any stop: the next start trusts the index, and holds no lock of a dead process.
    expect(existsSync(path.join(dataDir, "clean-shutdown"))).toBe(true);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  });

  it("with --tls, --smtps-port and --smtp-auth-file the banner names the certificate file, the SMTPS port and the auth mode", async () => {
    const dataDir = await tempDir(cleanup);
    const usersFile = path.join(dataDir, "users.txt");
    await writeFile(usersFile, "# staging\napp:s3cret\n");
    const cli = startCli([
      ...["--smtp-port", "0", "--http-port", "0", "--smtps-port", "0", "--data-dir", dataDir],
      ...["--tls", "--smtp-auth-file", usersFile, "--chaos", "rcpt:451:0.25"],
    ]);
    await cli.listening();

    expect(cli.stdout).toMatch(/SMTP\s+smtp:\/\/127\.0\.0\.1:\d+ \(STARTTLS offered\)/);
    expect(cli.stdout).toMatch(/SMTPS\s+smtps:\/\/127\.0\.0\.1:\d+ \(implicit TLS\)/);
    expect(cli.stdout).toContain(`stored at ${path.join(dataDir, "tls", "cert.pem")}`);
    expect(cli.stdout).toMatch(
      /Auth\s+1 user \(--smtp-auth\), 535 for anything else; optional; only after STARTTLS/,
    );
    expect(cli.stdout).toMatch(/Chaos\s+rcpt 451 at 25%/);
  });

  it("an --smtp-auth-file that cannot be read exits 2 naming it", async () => {
    const result = await runCli(["--in-memory", "--smtp-auth-file", "/nonexistent/users.txt"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "mailnest: --smtp-auth-file /nonexistent/users.txt: cannot read it (ENOENT)\n",
    );
  });

  it("an unusable --tls-cert exits 1 with a one-line reason", async () => {
    const dir = await tempDir(cleanup);
    const cert = path.join(dir, "cert.pem");
    await writeFile(cert, "garbage");
    const result = await runCli([
      "--in-memory",
      "--smtp-port",
      "0",
      "--http-port",
      "0",
      "--tls-cert",
      cert,
      "--tls-key",
      cert,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(`^mailnest: could not start: --tls-cert ${cert}`),
    ]);
  });

  it("says 'in memory' when nothing is written", async () => {
    const cli = startCli(["--smtp-port", "0", "--http-port", "0", "--in-memory"]);
    await cli.listening();
    expect(cli.stdout).toMatch(/Data\s+in memory/);
  });
});
