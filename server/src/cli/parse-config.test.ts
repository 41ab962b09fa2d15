import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../config.js";
import { ConfigError } from "./config-error.js";
import { FLAGS } from "./flags.js";
import { helpText } from "./help-text.js";
import { type CliCommand, isLoopback, parseCommandLine } from "./parse-config.js";

const CWD = "/srv/app";

function run(argv: string[], env: Record<string, string> = {}) {
  const command: CliCommand = parseCommandLine(argv, env, CWD);
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command;
}

function reasonFor(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(argv, env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe("parseCommandLine", () => {
  it("uses the documented defaults when nothing is given", () => {
    const { config, warnings } = run([]);
    expect(config).toMatchObject({
      smtpPort: 1025,
      httpPort: 8025,
      host: "127.0.0.1",
      dataDir: "/srv/app/.mailnest",
      maxMessages: 10_000,
      maxAgeMs: null,
      maxMessageSize: 25 * 1024 * 1024,
      maxRecipients: 100,
      maxConnections: DEFAULT_CONFIG.maxConnections,
      domain: "mailnest.test",
      apiToken: null,
      corsOrigins: [],
      maxWaitMs: 30_000,
      quiet: false,
    });
    expect(warnings).toEqual([]);
  });

  it("reads every flag", () => {
    const { config } = run([
      "--smtp-port=2525",
      "--http-port",
      "9000",
      "--host",
      "::1",
      "--data-dir",
      "mail",
      "--max-messages",
      "50",
      "--max-age",
      "12h",
      "--max-message-size",
      "10mb",
      "--max-recipients",
      "5",
      "--max-connections",
      "7",
      "--smtp-idle-timeout",
      "90s",
      "--domain",
      "Example.TEST",
      "--api-token",
      "s3cret",
      "--cors-origin",
      "http://localhost:5173",
      "--cors-origin",
      "https://app.example.test/",
      "--max-wait",
      "2m",
      "--quiet",
    ]);
    expect(config).toMatchObject({
      smtpPort: 2525,
      httpPort: 9000,
      host: "::1",
      dataDir: "/srv/app/mail",
      maxMessages: 50,
      maxAgeMs: 12 * 3_600_000,
      maxMessageSize: 10 * 1024 * 1024,
      maxRecipients: 5,
      maxConnections: 7,
      smtpIdleTimeoutMs: 90_000,
      domain: "example.test",
      apiToken: "s3cret",
      corsOrigins: ["http://localhost:5173", "https://app.example.test"],
      maxWaitMs: 120_000,
      quiet: true,
    });
  });

  it("reads every setting from MAILNEST_* variables", () => {
    const { config } = run([], {
      MAILNEST_SMTP_PORT: "0",
      MAILNEST_HTTP_PORT: "0",
      MAILNEST_IN_MEMORY: "true",
      MAILNEST_MAX_AGE: "7d",
      MAILNEST_MAX_MESSAGE_SIZE: "1048576",
      MAILNEST_CORS_ORIGIN: "http://a.test, http://b.test:8080",
      MAILNEST_QUIET: "1",
    });
    expect(config).toMatchObject({
      smtpPort: 0,
      httpPort: 0,
      dataDir: null,
      maxAgeMs: 7 * 86_400_000,
      maxMessageSize: 1_048_576,
      corsOrigins: ["http://a.test", "http://b.test:8080"],
      quiet: true,
    });
  });

  it("reads the TLS, AUTH and chaos flags", () => {
    const command = run([
      "--tls",
      "--tls-cert",
      "certs/mail.pem",
      "--tls-key",
      "/etc/mail/key.pem",
      "--smtps-port",
      "1465",
      "--require-tls",
      "--allow-insecure-auth",
      "--smtp-auth",
      "app:s3cret",
      "--smtp-auth",
      "worker:pa:ss",
      "--smtp-auth-file",
      "users.txt",
      "--require-auth",
      "--chaos",
      "rcpt:451:0.1",
      "--chaos",
      "disconnect:0.05",
    ]);
    expect(command.config).toMatchObject({
      starttls: true,
      tls: { certFile: "/srv/app/certs/mail.pem", keyFile: "/etc/mail/key.pem" },
      smtpsPort: 1465,
      requireTls: true,
      allowInsecureAuth: true,
      smtpUsers: new Map([
        ["app", "s3cret"],
        ["worker", "pa:ss"],
      ]),
      requireAuth: true,
      chaos: [
        { stage: "rcpt", code: 451, probability: 0.1 },
        { stage: "disconnect", code: null, probability: 0.05 },
      ],
    });
    expect(command.smtpAuthFile).toBe("/srv/app/users.txt");
  });

  it("leaves TLS off, any credentials accepted and no chaos by default", () => {
    const command = run([]);
    expect(command.config).toMatchObject({
      starttls: false,
      tls: { certFile: null, keyFile: null },
      smtpsPort: null,
      requireTls: false,
      allowInsecureAuth: false,
      smtpUsers: null,
      requireAuth: false,
      chaos: [],
    });
    expect(command.smtpAuthFile).toBeNull();
  });

  it("reads the TLS, AUTH and chaos settings from MAILNEST_* variables", () => {
    const { config } = run([], {
      MAILNEST_TLS: "true",
      MAILNEST_SMTPS_PORT: "0",
      MAILNEST_SMTP_AUTH: "a:1, b:2",
      MAILNEST_CHAOS: "data:554:1",
      MAILNEST_REQUIRE_AUTH: "yes",
    });
    expect(config).toMatchObject({
      starttls: true,
      smtpsPort: 0,
      smtpUsers: new Map([
        ["a", "1"],
        ["b", "2"],
      ]),
      chaos: [{ stage: "data", code: 554, probability: 1 }],
      requireAuth: true,
    });
  });

  it("lets a flag win over its environment variable", () => {
    const { config } = run(["--smtp-port", "2600", "--max-age", "off"], {
      MAILNEST_SMTP_PORT: "2500",
      MAILNEST_MAX_AGE: "1d",
    });
    expect(config.smtpPort).toBe(2600);
    expect(config.maxAgeMs).toBeNull();
  });

  it("--in-memory keeps nothing on disk even when a data dir is given", () => {
    expect(run(["--data-dir", "/tmp/x", "--in-memory"]).config.dataDir).toBeNull();
  });

  it("asks for help or the version without building a config", () => {
    expect(parseCommandLine(["--help"], {}, CWD)).toEqual({ kind: "help" });
    expect(parseCommandLine(["-h", "--smtp-port", "nonsense"], {}, CWD)).toEqual({ kind: "help" });
    expect(parseCommandLine(["--version"], {}, CWD)).toEqual({ kind: "version" });
  });

  it.each([
    [
      ["--smtp-port", "70000"],
      '--smtp-port: expected a port number from 0 to 65535 (0 picks a free port), got "70000"',
    ],
    [
      ["--http-port", "eighty"],
      '--http-port: expected a port number from 0 to 65535 (0 picks a free port), got "eighty"',
    ],
    [["--max-messages", "0"], '--max-messages: expected a whole number of at least 1, got "0"'],
    [["--max-recipients", "1.5"], '--max-recipients: expected a whole number of at least 1, got "1.5"'],
    [["--max-age", "30"], '--max-age: expected a duration such as 30s, 15m, 12h or 7d, got "30"'],
    [["--max-wait", "soon"], '--max-wait: expected a duration such as 30s, 15m, 12h or 7d, got "soon"'],
    [
      ["--max-message-size", "25 parsecs"],
      '--max-message-size: expected a size such as 25mb, 512kb or a number of bytes, got "25 parsecs"',
    ],
    [
      ["--domain", "not a domain"],
      '--domain: expected a domain name such as mailnest.test, got "not a domain"',
    ],
    [
      ["--cors-origin", "localhost:5173"],
      '--cors-origin: expected an origin such as http://localhost:5173 (or *), got "localhost:5173"',
    ],
    [["--api-token", " "], "--api-token: expected a value, got an empty string"],
    [
      ["--host", "999.1.1.1"],
      '--host: expected an IP address or a host name such as 127.0.0.1, 0.0.0.0, :: or localhost, got "999.1.1.1"',
    ],
    [
      ["--host", "http://0.0.0.0"],
      '--host: expected an IP address or a host name such as 127.0.0.1, 0.0.0.0, :: or localhost, got "http://0.0.0.0"',
    ],
    [
      ["--smtp-port", "2525", "--http-port", "2525"],
      "--smtp-port and --http-port are both 2525; they must differ",
    ],
    [["--smtps-port", "1025"], "--smtp-port and --smtps-port are both 1025; they must differ"],
    [
      ["--tls-cert", "cert.pem"],
      "--tls-cert and --tls-key go together: give both PEM files, or neither for a self-signed certificate",
    ],
    [
      ["--smtp-auth", "no-colon"],
      '--smtp-auth: expected user:password with both parts non-empty, got "no-colon"',
    ],
    [["--smtp-auth", "app:"], '--smtp-auth: expected user:password with both parts non-empty, got "app:"…'],
    [["--smtp-auth", "a:1", "--smtp-auth", "a:2"], '--smtp-auth: user "a" is given twice'],
    [
      ["--chaos", "rcpt:250:0.5"],
      '--chaos: Invalid "code": expected an SMTP reply code from 400 to 599 (4xx: retry later, 5xx: give up), got 250 in "rcpt:250:0.5" (expected <stage>:<code>:<probability> such as rcpt:451:0.1 (or disconnect:0.05))',
    ],
  ])("refuses %j with a one-line reason", (argv, reason) => {
    expect(reasonFor(argv)).toBe(reason);
  });

  it("--parse-threads takes a count from 0 to 16, or auto (the default, decided from the cores)", () => {
    expect(run([]).config.parseThreads).toBeNull();
    expect(run(["--parse-threads", "0"]).config.parseThreads).toBe(0);
    expect(run(["--parse-threads", "auto"]).config.parseThreads).toBeNull();
    expect(run([], { MAILNEST_PARSE_THREADS: "3" }).config.parseThreads).toBe(3);
    expect(reasonFor(["--parse-threads", "many"])).toBe(
      '--parse-threads: expected auto or a number of threads from 0 to 16, got "many"',
    );
  });

  it("names the environment variable when the bad value came from there", () => {
    expect(reasonFor([], { MAILNEST_MAX_MESSAGE_SIZE: "huge" })).toMatch(
      /^MAILNEST_MAX_MESSAGE_SIZE: expected a size/,
    );
    expect(reasonFor([], { MAILNEST_IN_MEMORY: "perhaps" })).toMatch(
      /^MAILNEST_IN_MEMORY: expected true or false/,
    );
  });

  it("refuses unknown flags and stray arguments", () => {
    expect(reasonFor(["--smtp-prot", "25"])).toMatch(
      /^Unknown option '--smtp-prot'.* Did you mean --smtp-port\? \(see --help\)$/,
    );
    expect(reasonFor(["--smtpport", "25"])).toContain("Did you mean --smtp-port?");
    expect(reasonFor(["--inmemory"])).toContain("Did you mean --in-memory?");
    // Nothing near: no guess.
    expect(reasonFor(["--frobnicate"])).not.toContain("Did you mean");
    expect(reasonFor(["serve"])).toMatch(/serve.*\(see --help\)$/);
    expect(reasonFor(["--smtp-port"])).toMatch(/--smtp-port.*argument missing.*\(see --help\)$/);
    for (const argv of [["--smtp-prot"], ["serve"], ["--smtp-port"]])
      expect(reasonFor(argv)).not.toContain("\n");
  });

  it("a value that starts with a dash, given after a space, is refused with the spelling that works", () => {
    expect(reasonFor(["--max-messages", "-5"])).toBe(
      "Option '--max-messages' argument is ambiguous. To specify an option argument starting with a dash use '--max-messages=-XYZ'. (see --help)",
    );
  });

  it("warns that captured mail is exposed on a non-loopback host without an API token", () => {
    expect(run(["--host", "0.0.0.0"]).warnings).toEqual([
      expect.stringContaining("--host 0.0.0.0 is reachable from other machines and no --api-token is set"),
    ]);
    expect(run(["--host", "0.0.0.0", "--api-token", "t"]).warnings).toEqual([]);
    expect(run(["--host", "localhost"]).warnings).toEqual([]);
  });

  it("names every port that reads mail without a password, POP3 and IMAP included", () => {
    expect(run(["--host", "0.0.0.0", "--http-port", "8025"]).warnings).toEqual([
      "--host 0.0.0.0 is reachable from other machines and no --api-token is set: anyone who can reach port " +
        "8025 (HTTP), 1110 (POP3), 1143 (IMAP) can read every captured message; with --api-token, POP3 and " +
        "IMAP take it as the password.",
    ]);
    expect(
      run(["--host", "0.0.0.0", "--http-port", "8025", "--pop3-port", "off", "--imap-port", "off"]).warnings,
    ).toEqual([
      "--host 0.0.0.0 is reachable from other machines and no --api-token is set: anyone who can reach port " +
        "8025 (HTTP) can read every captured message.",
    ]);
  });

  it("warns that --cors-origin * without a token lets every web page read the mail", () => {
    expect(run(["--cors-origin", "*"]).warnings).toEqual([
      "--cors-origin * without --api-token: any web page the browser visits can read and delete every captured message.",
    ]);
    expect(run(["--cors-origin", "*", "--api-token", "t"]).warnings).toEqual([]);
    expect(run(["--cors-origin", "http://app.test:3000"]).warnings).toEqual([]);
  });
});

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])(
    "%s is loopback",
    (host) => {
      expect(isLoopback(host)).toBe(true);
    },
  );
  it.each(["0.0.0.0", "::", "192.168.1.10", "mail.example.test", "128.0.0.1"])("%s is not", (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});

describe("helpText", () => {
  it("lists every flag with its default and environment variable", () => {
    const text = helpText("1.2.3");
    for (const spec of FLAGS) {
      expect(text).toContain(`--${spec.name}`);
      if (spec.env) expect(text).toContain(`env: ${spec.env}`);
    }
    expect(text).toContain("default: 1025, env: MAILNEST_SMTP_PORT");
    expect(text).toContain("default: 25mb, env: MAILNEST_MAX_MESSAGE_SIZE");
  });
});
