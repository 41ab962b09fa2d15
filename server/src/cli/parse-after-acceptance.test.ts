import { describe, expect, it } from "vitest";
import { parseCommandLine } from "./parse-config.js";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const command = parseCommandLine(argv, env, "/tmp");
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return command.config;
};

describe("after-acceptance flags", () => {
  it("are off by default, with the simulator addresses on and unprefixed", () => {
    expect(parse([])).toMatchObject({
      simulator: { enabled: true, prefix: "" },
      reports: [],
      reportRelay: null,
      receivingRules: [],
    });
  });

  it("read --report, --report-relay, --no-simulator, --simulator-prefix, --greylist and --rate-limit", () => {
    const config = parse([
      "--report",
      "bounce:5.2.2:0.05",
      "--report",
      "complaint:0.01",
      "--report-relay",
      "smtp://127.0.0.1:2525?starttls=off",
      "--simulator-prefix",
      "sim-",
      "--greylist",
      "2s",
      "--rate-limit",
      "client:100/1h:451",
    ]);
    expect(config.reports).toEqual([
      { kind: "bounce", status: "5.2.2", probability: 0.05 },
      { kind: "complaint", status: null, probability: 0.01 },
    ]);
    expect(config.reportRelay).toBe("smtp://127.0.0.1:2525?starttls=off");
    expect(config.simulator).toEqual({ enabled: true, prefix: "sim-" });
    expect(config.receivingRules).toEqual([
      expect.objectContaining({ behavior: "greylist", delayMs: 2000, code: 451, status: "4.7.1" }),
      expect.objectContaining({
        behavior: "rate-limit",
        per: "client",
        limit: 100,
        windowMs: 3_600_000,
        code: 451,
      }),
    ]);
    expect(parse(["--no-simulator"]).simulator.enabled).toBe(false);
  });

  it("take the environment too", () => {
    const config = parse([], {
      MAILNEST_REPORT: "auto-reply:1,bounce:0.5",
      MAILNEST_RATE_LIMIT: "sender:10/1m",
      MAILNEST_NO_SIMULATOR: "1",
    });
    expect(config.reports.map((spec) => spec.kind)).toEqual(["auto-reply", "bounce"]);
    expect(config.receivingRules).toEqual([expect.objectContaining({ per: "sender", limit: 10, code: 421 })]);
    expect(config.simulator.enabled).toBe(false);
  });

  it.each([
    [["--report", "bounce:4.1.1:0.1"], /--report: .*"status"/],
    [["--report-relay", "http://x"], /--report-relay: .*smtp:\/\//],
    [["--rate-limit", "planet:1/1m"], /--rate-limit: expected <sender\|connection\|client>/],
    [["--rate-limit", "sender:10/1m:550"], /--rate-limit: .*"code"/],
    [["--greylist", "soon"], /--greylist: expected a duration/],
    [["--greylist", "11m"], /--greylist: .*"delayMs"/],
    [["--simulator-prefix", "a b"], /--simulator-prefix: expected a local-part prefix/],
  ])("refuses %j", (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });
});
