import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNotFoundError } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

interface JsonAttachment {
  name: string;
  contentType: string;
  body?: string;
  path?: string;
}
interface JsonResult {
  status: string;
  attachments: JsonAttachment[];
  stdout: Array<{ text?: string }>;
}
interface JsonReport {
  suites: Array<{ specs: Array<{ title: string; tests: Array<{ results: JsonResult[] }> }> }>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const playwrightCli = createRequire(import.meta.url).resolve("@playwright/test/cli");

let server: TestServer;
let outputDir: string;
let results: Map<string, JsonResult>;

// Runs the fixture's own specs (which fail on purpose) in a real Playwright process, asynchronously:
// the server under test lives in this process and must keep answering.
beforeAll(async () => {
  server = await startTestServer();
  outputDir = await mkdtemp(path.join(os.tmpdir(), "mailnest-fixture-"));
  const run = await promisify(execFile)(
    process.execPath,
    [playwrightCli, "test", "-c", path.join(here, "playwright-fixture", "playwright.config.ts")],
    {
      env: {
        ...withoutMailnestUrl(process.env),
        MAILNEST_FIXTURE_URL: server.sandbox.url,
        MAILNEST_SMTP_PORT: String(server.sandbox.smtpPort),
        MAILNEST_FIXTURE_OUTPUT: outputDir,
      },
      maxBuffer: 20 * 1024 * 1024,
    },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  const report = JSON.parse(run.stdout) as JsonReport;
  results = new Map(
    report.suites.flatMap((suite) =>
      suite.specs.map((spec) => [spec.title, spec.tests[0]!.results[0]!] as const),
    ),
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
});

function printedInbox(result: JsonResult, marker: string): string {
  const line = result.stdout.map((entry) => entry.text ?? "").find((text) => text.startsWith(marker));
  return line!.slice(marker.length + 1).trim();
}

async function attachmentBody(attachment: JsonAttachment): Promise<Buffer> {
  if (attachment.body !== undefined) return Buffer.from(attachment.body, "base64");
  return readFile(attachment.path!);
}

describe("the Playwright inbox fixture", () => {
  it("gives a passing test a fresh inbox and deletes it afterwards, attaching nothing", async () => {
    const result = results.get("passes and leaves its inbox deleted")!;
    expect(result.status).toBe("passed");
    expect(result.attachments).toEqual([]);
    const address = printedInbox(result, "PASSING-INBOX");
    expect(address).toMatch(/^passes-and-leaves-its-in-[a-z0-9]+@mailnest\.test$/);
    const error = await server.mail
      .inbox(address, { since: 0 })
      .then((inbox) => inbox.delete().catch((e) => e));
    expect(isNotFoundError(error)).toBe(true);
  });

  it("attaches the inbox's messages and the newest raw message to a failing test's report", async () => {
    const result = results.get("fails while its inbox holds two messages")!;
    expect(result.status).toBe("failed");
    const address = printedInbox(result, "FAILING-INBOX");
    // Playwright adds its own (an error context); ours are the ones named mailnest-*.
    const ours = result.attachments.filter((attachment) => attachment.name.startsWith("mailnest-"));
    expect(ours.map((attachment) => attachment.name)).toEqual([
      "mailnest-inbox.txt",
      expect.stringMatching(/^mailnest-newest-message-\d+\.eml$/),
    ]);

    const [list, raw] = ours as [JsonAttachment, JsonAttachment];
    const text = (await attachmentBody(list)).toString("utf8");
    expect(text.split("\n")).toEqual([
      `${address}: 2 messages during this test`,
      expect.stringMatching(/^ {2}#\d+ "First" from app@app\.test at /),
      expect.stringMatching(/^ {2}#\d+ "Second" from app@app\.test at /),
    ]);
    expect(raw.contentType).toBe("message/rfc822");
    expect((await attachmentBody(raw)).toString("utf8")).toMatch(/^Subject: Second\r$/m);
  });
});

/** The environment without MAILNEST_URL: the URL must reach the fixture through the config's `use`. */
function withoutMailnestUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MAILNEST_URL: _unused, ...rest } = env;
  return rest;
}
