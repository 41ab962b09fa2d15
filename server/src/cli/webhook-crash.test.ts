import { describe, expect, it } from "vitest";
import { CliProcess } from "../test-support/cli-process.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { WebhookReceiver } from "../test-support/webhook-receiver.js";

const cleanup = useCleanup();

const SECRET = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
const MESSAGES = 20;

function startCli(dataDir: string, webhookUrl: string): CliProcess {
  const cli = new CliProcess([
    "--smtp-port",
    "0",
    "--http-port",
    "0",
    "--data-dir",
    dataDir,
    "--webhook",
    webhookUrl,
    "--webhook-secret",
    SECRET,
  ]);
  cleanup(async () => {
    cli.kill("SIGKILL");
    await cli.exited;
  });
  return cli;
}

describe("webhooks across a kill -9 of the real process", () => {
  it("every message answered 250 before the kill reaches the receiver that was down, once both are back", async () => {
    const dataDir = await tempDir(cleanup);
    // Reserve a port for the receiver, then take it down: every attempt before the kill is refused.
    const reserved = await WebhookReceiver.start(cleanup);
    const { port, url } = reserved;
    await reserved.close();

    const first = startCli(dataDir, url);
    const { smtpPort } = await first.listening();
    expect(first.stdout).toContain(`Webhooks  ${url} (signed; --webhook-secret)`);
    const client = await SmtpTestClient.open(smtpPort);
    cleanup(() => client.destroy());
    const acknowledged: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const raw = rfc822({ to: "crash@example.test", subject: `crash ${i}`, body: `body ${i}` });
      const reply = await client.sendMessage({ from: "app@example.test", to: ["crash@example.test"], raw });
      expect(reply.code).toBe(250);
      acknowledged.push(queuedId(reply.raw));
    }
    // Straight after the last 250: some deliveries may not have reached the journal yet.
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const receiver = await WebhookReceiver.start(cleanup, { secret: SECRET }, port);
    const second = startCli(dataDir, url);
    await second.listening();
    const deadline = Date.now() + 30_000;
    const delivered = () =>
      new Set(
        receiver.accepted.map(
          (request) => (request.event as { data: { message: { id: string } } }).data.message.id,
        ),
      );
    while (delivered().size < MESSAGES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...delivered()].sort()).toEqual([...acknowledged].sort());
    expect(receiver.received.every((request) => request.verifyError === null)).toBe(true);
    // In order per endpoint: the first delivery of each message comes in the order they were stored.
    const firstSeen = [
      ...new Map(
        receiver.accepted.map((request) => [
          (request.event as { data: { message: { id: string } } }).data.message.id,
          true,
        ]),
      ).keys(),
    ];
    expect(firstSeen).toEqual(acknowledged);
  }, 90_000);
});
