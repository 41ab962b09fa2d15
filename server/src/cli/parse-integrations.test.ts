import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { type CliCommand, parseCommandLine } from "./parse-config.js";

const SECRET = `whsec_${Buffer.alloc(24, 1).toString("base64")}`;

function run(argv: string[], env: Record<string, string> = {}) {
  const command: CliCommand = parseCommandLine(argv, env, "/srv/app");
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command;
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

describe("webhook and relay flags", () => {
  it("are off by default", () => {
    expect(run([]).config).toMatchObject({ webhooks: [], webhookSecret: null, relay: null, relayAuto: [] });
  });

  it("read --webhook (repeatable), --webhook-secret, --relay, --relay-allow and --relay-auto", () => {
    const { config, warnings } = run([
      "--webhook",
      "http://127.0.0.1:9000/hooks",
      "--webhook=https://ci.example.com/mail#ignored",
      "--webhook-secret",
      SECRET,
      "--relay",
      "smtps://qa:s3cret@smtp.example.com",
      "--relay-allow",
      "*@example.com",
      "--relay-allow",
      "qa+*@corp.test",
      "--relay-auto",
      "*@staging.test=qa+phone@corp.test",
      "--relay-auto",
      "*@example.com",
    ]);
    expect(config).toMatchObject({
      webhooks: ["http://127.0.0.1:9000/hooks", "https://ci.example.com/mail"],
      webhookSecret: SECRET,
      relay: { url: "smtps://qa:s3cret@smtp.example.com", allow: ["*@example.com", "qa+*@corp.test"] },
      relayAuto: [{ match: "*@staging.test", relayTo: ["qa+phone@corp.test"] }, { match: "*@example.com" }],
    });
    expect(warnings).toEqual([]);
  });

  it("read the environment, lists comma-separated", () => {
    const { config } = run([], {
      MAILNEST_WEBHOOK: "http://127.0.0.1:9000/a, http://127.0.0.1:9000/b",
      MAILNEST_RELAY: "smtp://127.0.0.1:2525?starttls=off",
      MAILNEST_RELAY_ALLOW: "*@device.test",
    });
    expect(config.webhooks).toEqual(["http://127.0.0.1:9000/a", "http://127.0.0.1:9000/b"]);
    expect(config.relay).toEqual({ url: "smtp://127.0.0.1:2525?starttls=off", allow: ["*@device.test"] });
  });

  it("refuse what cannot work, and never an open relay", () => {
    expect(reasonFor(["--webhook", "ftp://example.com"])).toBe(
      '--webhook: Expected an http:// or https:// URL, got "ftp:"',
    );
    expect(reasonFor(["--webhook-secret", "hunter2"])).toMatch(/^--webhook-secret: expected "whsec_"/);
    expect(reasonFor(["--relay", "smtp://smtp.example.com"])).toMatch(
      /^--relay needs at least one --relay-allow pattern/,
    );
    expect(reasonFor(["--relay-allow", "*@example.com"])).toBe(
      "--relay-allow needs --relay (the server to release mail to)",
    );
    expect(reasonFor(["--relay", "http://smtp.example.com", "--relay-allow", "*@x.test"])).toMatch(
      /^--relay: /,
    );
    expect(reasonFor(["--relay", "smtp://h", "--relay-allow", "example.com"])).toMatch(
      /^--relay-allow: Expected a recipient pattern/,
    );
    expect(
      reasonFor([
        "--relay",
        "smtp://h",
        "--relay-allow",
        "*@x.test",
        "--relay-auto",
        "*@s.test=boss@elsewhere.test",
      ]),
    ).toBe("--relay-auto: boss@elsewhere.test is not allowed by any --relay-allow pattern");
  });

  it("warn when every address may be released", () => {
    const { warnings } = run(["--relay", "smtp://h", "--relay-allow", "*@*"]);
    expect(warnings).toEqual([
      "--relay-allow '*@*' lets anyone who can call the API release captured mail to any address.",
    ]);
  });
});
