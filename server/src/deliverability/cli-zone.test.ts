import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../test-support/cli-process.js";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

describe("mailnest --dns-zone", () => {
  it("a malformed zone file stops startup with one line naming the file and the line", async () => {
    const dir = await tempDir(cleanup);
    const zone = path.join(dir, "lab.zone");
    await writeFile(zone, '$ORIGIN example.test.\n@ TXT "v=spf1 -all"\n\nmail IN A 300.1.1.1\n');

    const result = await runCli(["--in-memory", "--smtp-port", "0", "--http-port", "0", "--dns-zone", zone]);

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      `mailnest: could not start: ${zone}:4: "300.1.1.1" is not an IPv4 address`,
    ]);
  });

  it("an unknown --dns-mode is a usage error naming the choices", async () => {
    const result = await runCli(["--in-memory", "--dns-mode", "internet"]);

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'mailnest: --dns-mode: expected one of zone, system, zone-then-system, got "internet"',
    );
  });
});
