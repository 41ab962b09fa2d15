/**
 * Issue #18, part 2: `kill -9` of one of three instances on one PostgreSQL database, in the middle
 * of a bounded load, loses nothing it or the others acknowledged: a 250 is given only after COMMIT.
 */
import { describe, expect, it } from "vitest";
import { type MailnestInstance, missingFrom, startInstances } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, sha256, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** Bounded load: at most this many messages, over this many connections (two per instance), for at most this long. */
const PLANNED = 300;
const CONNECTIONS_PER_INSTANCE = 2;
const LOAD_DEADLINE_MS = 60_000;
/** C is killed once this many messages were answered 250, so mid-load. */
const KILL_AFTER = 100;

function message(i: number): string {
  return rfc822({
    subject: `load ${i}`,
    to: `load-${i % 7}@example.test`,
    body: `message ${i}\r\n${"x".repeat(1500)}`,
  });
}

describe("an instance killed mid-load", () => {
  it("every message any instance answered 250 is listed, byte-exact, by the survivors", async () => {
    const database = await createTestDatabase(cleanup);
    const instances = await startInstances(cleanup, database.url, ["A", "B", "C"]);
    const [a, b, c] = instances as [MailnestInstance, MailnestInstance, MailnestInstance];

    const acknowledged = new Map<string, string>(); // id → sha256 of what was sent
    const refusals: string[] = [];
    let next = 0;
    let killed = false;
    const deadline = Date.now() + LOAD_DEADLINE_MS;

    const worker = async (instance: MailnestInstance) => {
      const client = await SmtpTestClient.open(instance.smtpPort);
      cleanup(() => client.destroy());
      while (next < PLANNED && Date.now() < deadline) {
        const i = next++;
        const raw = message(i);
        const reply = await client
          .sendMessage({ from: "load@example.test", to: [`load-${i % 7}@example.test`], raw })
          .catch(() => null); // the connection died with C
        if (reply === null) {
          if (instance === c && killed) return;
          throw new Error(`${instance.name}'s connection failed, and only C was killed`);
        }
        if (reply.code !== 250) refusals.push(`${instance.name}: ${reply.raw}`);
        else acknowledged.set(queuedId(reply.raw), sha256(raw));
        if (!killed && acknowledged.size >= KILL_AFTER) {
          killed = true;
          c.cli.kill("SIGKILL");
        }
      }
    };
    await Promise.all(
      instances.flatMap((instance) =>
        Array.from({ length: CONNECTIONS_PER_INSTANCE }, () => worker(instance)),
      ),
    );

    expect(killed).toBe(true);
    expect((await c.cli.exited).signal).toBe("SIGKILL");
    expect(refusals).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(KILL_AFTER);

    for (const survivor of [a, b]) {
      const missing = await missingFrom(survivor.url, acknowledged.keys());
      expect({ survivor: survivor.name, missing }).toEqual({ survivor: survivor.name, missing: [] });
    }
    const damaged: string[] = [];
    for (const [id, expected] of acknowledged) {
      const response = await fetch(`${b.url}/api/messages/${id}/raw`);
      const body = Buffer.from(await response.arrayBuffer());
      if (sha256(body) !== expected) damaged.push(id);
    }
    expect(damaged).toEqual([]);
  }, 180_000);
});
