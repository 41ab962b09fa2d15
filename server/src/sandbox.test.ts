import { rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./sandbox.js";
import { freePort } from "./test-support/free-port.js";
import { queuedId, SmtpTestClient } from "./test-support/smtp-test-client.js";
import { readAll, rfc822, sha256, tempDir, testConfig, useCleanup } from "./test-support/test-sandbox.js";

const cleanup = useCleanup();

async function start(dataDir: string | null): Promise<Sandbox> {
  const sandbox = await startSandbox(testConfig(dataDir));
  cleanup(() => sandbox.close());
  return sandbox;
}

/** Sends each message on one connection; returns the raw bytes by stored id. */
async function send(
  sandbox: Sandbox,
  messages: Array<{ to: string[]; subject: string }>,
): Promise<Map<string, string>> {
  const client = await SmtpTestClient.open(sandbox.smtpPort);
  cleanup(() => client.destroy());
  const sent = new Map<string, string>();
  for (const message of messages) {
    const raw = rfc822({
      subject: message.subject,
      body: `body of ${message.subject}`,
      to: message.to.join(", "),
    });
    const reply = await client.sendMessage({ from: "app@example.test", to: message.to, raw });
    if (reply.code !== 250) throw new Error(`not stored: ${reply.raw}`);
    sent.set(queuedId(reply.raw), raw);
  }
  await client.quit();
  return sent;
}

const THREE = [
  { to: ["ann@example.test"], subject: "first" },
  { to: ["ann@example.test", "bob@example.test"], subject: "second" },
  { to: ["bob@example.test"], subject: "third" },
];

async function snapshot(sandbox: Sandbox) {
  const page = await sandbox.store.list({ limit: 50 });
  return page.messages.map(({ id, sequence, subject, inboxes, sha256 }) => ({
    id,
    sequence,
    subject,
    inboxes,
    sha256,
  }));
}

describe("startSandbox", () => {
  it("binds free ports, serves the HTTP API at its url, and reports the SMTP port there", async () => {
    const sandbox = await start(null);

    expect(sandbox.smtpPort).toBeGreaterThan(0);
    expect(sandbox.httpPort).toBeGreaterThan(0);
    expect(sandbox.config.smtpPort).toBe(sandbox.smtpPort);
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.httpPort}`);
    const health = (await (await fetch(`${sandbox.url}/api/health`)).json()) as { smtp?: { port?: number } };
    expect(health.smtp?.port).toBe(sandbox.smtpPort);
  });

  it("messages survive a restart with their ids, sequences and inboxes, and sequences keep counting", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await start(dataDir);
    const sent = await send(first, THREE);
    const before = await snapshot(first);
    await first.close();

    const second = await start(dataDir);

    expect(await snapshot(second)).toEqual(before);
    expect(second.store.head).toBe(3);
    for (const [id, raw] of sent) {
      const stored = await second.store.readRaw(id);
      expect(stored && sha256(await readAll(stored))).toBe(sha256(raw));
    }
    await send(second, [{ to: ["ann@example.test"], subject: "fourth" }]);
    expect(second.store.head).toBe(4);
  });

  it("rebuilds a deleted index from the message files", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await start(dataDir);
    const sent = await send(first, THREE);
    const before = await snapshot(first);
    await first.close();

    await rm(path.join(dataDir, "index"), { recursive: true, force: true });
    const second = await start(dataDir);

    expect(await snapshot(second)).toEqual(before);
    expect(second.store.getInbox("bob@example.test")?.messageCount).toBe(2);
    for (const [id, raw] of sent) {
      const stored = await second.store.readRaw(id);
      expect(stored && sha256(await readAll(stored))).toBe(sha256(raw));
    }
  });

  it("fails with the listen error when a port is taken, and leaves nothing listening", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanup(() => new Promise((resolve) => blocker.close(resolve)));
    const address = blocker.address();
    const takenPort = typeof address === "object" && address ? address.port : 0;
    const smtpPort = await freePort();

    await expect(startSandbox(testConfig(null, { smtpPort, httpPort: takenPort }))).rejects.toMatchObject({
      code: "EADDRINUSE",
    });

    // The SMTP listener that did start was closed again: its port is free.
    await expect(canListen(smtpPort)).resolves.toBe(true);
  });

  it("close() is idempotent", async () => {
    const sandbox = await start(null);
    await Promise.all([sandbox.close(), sandbox.close()]);
    await sandbox.close();
  });
});

function canListen(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
