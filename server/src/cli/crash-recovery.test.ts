import { describe, expect, it } from "vitest";
import { startSandbox } from "../sandbox.js";
import { searchTextReady } from "../store/local-message-store.js";
import { CliProcess } from "../test-support/cli-process.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { readAll, rfc822, sha256, tempDir, testConfig, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** Bounded load: at most this many messages are sent, over this many connections. */
const PLANNED = 3000;
const CONNECTIONS = 4;
/** The process is killed as soon as this many messages were answered 250 (so mid-load). */
const KILL_AFTER = 1000;

function messageNumber(i: number): string {
  const line = `message ${i} — ${"payload ".repeat(8)}`;
  return rfc822({
    subject: `load ${i}`,
    to: `load-${i % 10}@example.test`,
    body: Array(24).fill(line).join("\r\n"),
  });
}

describe("crash safety of the real process", () => {
  it("every message answered 250 before a kill -9 mid-load is present and byte-exact after a restart", async () => {
    const dataDir = await tempDir(cleanup);
    const cli = new CliProcess(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);
    cleanup(async () => {
      cli.kill("SIGKILL");
      await cli.exited;
    });
    const { smtpPort } = await cli.listening();

    const acknowledged = new Map<string, string>(); // id → sha256 of what was sent
    let next = 0;
    let killed = false;
    let inFlightAtKill = 0;
    const inFlight = new Set<number>();

    const worker = async (workerId: number) => {
      const client = await SmtpTestClient.open(smtpPort);
      cleanup(() => client.destroy());
      while (!killed && next < PLANNED) {
        const i = next++;
        const raw = messageNumber(i);
        inFlight.add(workerId);
        const reply = await client
          .sendMessage({ from: "load@example.test", to: [`load-${i % 10}@example.test`], raw })
          .catch(() => null); // the connection died with the process
        inFlight.delete(workerId);
        if (reply === null) return;
        if (reply.code !== 250) throw new Error(`unexpected reply to message ${i}: ${reply.raw}`);
        acknowledged.set(queuedId(reply.raw), sha256(raw));
        if (!killed && acknowledged.size >= KILL_AFTER) {
          killed = true;
          inFlightAtKill = inFlight.size;
          cli.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => worker(n)));

    expect(killed).toBe(true);
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect((await cli.exited).signal).toBe("SIGKILL");

    const restarted = await startSandbox(testConfig(dataDir));
    cleanup(() => restarted.close());
    const missing: string[] = [];
    const damaged: string[] = [];
    for (const [id, expectedSha] of acknowledged) {
      const raw = await restarted.store.readRaw(id);
      if (!raw || restarted.store.summary(id) === null) missing.push(id);
      else if (sha256(await readAll(raw)) !== expectedSha) damaged.push(id);
    }
    expect({ missing, damaged }).toEqual({ missing: [], damaged: [] });

    // Whatever else survived (sent but not yet answered) is whole, never a torn file.
    let cursor: string | null = null;
    let listed = 0;
    do {
      const page = await restarted.store.list({ limit: 500, ...(cursor ? { cursor } : {}) });
      for (const summary of page.messages) {
        const raw = await restarted.store.readRaw(summary.id);
        expect(raw && sha256(await readAll(raw))).toBe(summary.sha256);
      }
      listed += page.messages.length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toBeGreaterThanOrEqual(acknowledged.size);

    // The search text is never fsync'd: after the kill it is cut back to its last whole record and
    // the rest rebuilt from the sidecars, so a body-text search still finds every message, once.
    await searchTextReady(restarted.store);
    const found = new Set<string>();
    cursor = null;
    do {
      const page = await restarted.store.list({
        limit: 500,
        text: "PAYLOAD payload",
        ...(cursor ? { cursor } : {}),
      });
      for (const summary of page.messages) found.add(summary.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(found.size).toBe(listed);
    expect([...acknowledged.keys()].filter((id) => !found.has(id))).toEqual([]);
  }, 120_000);

  it("deletions answered before a kill -9 stay as answered: no sequence given twice, a cleared inbox stays cleared", async () => {
    const { dataDir, url, send, kill } = await killableServer();
    const first = await send("first", ["a@example.test"]);
    const shared = await send("shared", ["a@example.test", "b@example.test"]);
    // Long enough for the index's lazy flush to have written both with their inboxes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const newest = await send("newest", ["a@example.test"]);
    const newestSequence = await sequenceOf(url, newest);

    // Within the flush window: the newest message goes (and with it the highest sequence on disk),
    // and the shared one leaves a@ but stays in b@.
    const cleared = await fetch(`${url}/api/inboxes/a%40example.test/messages`, { method: "DELETE" });
    expect(await cleared.json()).toEqual({ deleted: 3 });
    await kill();

    const restarted = await restart(dataDir);
    expect(restarted.store.summary(first)).toBeNull();
    expect(restarted.store.summary(newest)).toBeNull();
    expect(restarted.store.summary(shared)?.inboxes).toEqual(["b@example.test"]);
    expect(restarted.store.head).toBeGreaterThanOrEqual(newestSequence);
    expect(await nextSequence(restarted)).toBeGreaterThan(newestSequence);
  }, 60_000);

  it("a single deletion of the newest message answered before a kill -9 keeps its sequence from being given again", async () => {
    const { dataDir, url, send, kill } = await killableServer();
    await send("settled", ["a@example.test"]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const newest = await send("newest", ["a@example.test"]);
    const sequence = await sequenceOf(url, newest);
    expect((await fetch(`${url}/api/messages/${newest}`, { method: "DELETE" })).status).toBe(204);
    await kill();

    const restarted = await restart(dataDir);
    expect(restarted.store.head).toBeGreaterThanOrEqual(sequence);
    expect(await nextSequence(restarted)).toBeGreaterThan(sequence);
  }, 60_000);
});

/** The CLI on a fresh data directory, a connection to it, and a `kill -9` that waits for the exit. */
async function killableServer() {
  const dataDir = await tempDir(cleanup);
  const cli = new CliProcess(["--smtp-port", "0", "--http-port", "0", "--data-dir", dataDir]);
  cleanup(async () => {
    cli.kill("SIGKILL");
    await cli.exited;
  });
  const { smtpPort, url } = await cli.listening();
  const client = await SmtpTestClient.open(smtpPort);
  cleanup(() => client.destroy());
  const send = async (subject: string, to: string[]) => {
    const reply = await client.sendMessage({
      from: "app@example.test",
      to,
      raw: rfc822({ subject, to: to.join(", "), body: subject }),
    });
    expect(reply.code, reply.raw).toBe(250);
    return queuedId(reply.raw);
  };
  const kill = async () => {
    cli.kill("SIGKILL");
    expect((await cli.exited).signal).toBe("SIGKILL");
  };
  return { dataDir, url, send, kill };
}

async function sequenceOf(url: string, id: string): Promise<number> {
  return ((await (await fetch(`${url}/api/messages/${id}`)).json()) as { sequence: number }).sequence;
}

async function restart(dataDir: string) {
  const restarted = await startSandbox(testConfig(dataDir));
  cleanup(() => restarted.close());
  return restarted;
}

/** The sequence the next message gets. */
async function nextSequence(sandbox: Awaited<ReturnType<typeof restart>>): Promise<number | undefined> {
  const client = await SmtpTestClient.open(sandbox.smtpPort);
  cleanup(() => client.destroy());
  const reply = await client.sendMessage({
    from: "app@example.test",
    to: ["a@example.test"],
    raw: rfc822({ subject: "after", to: "a@example.test", body: "after" }),
  });
  return sandbox.store.summary(queuedId(reply.raw))?.sequence;
}
