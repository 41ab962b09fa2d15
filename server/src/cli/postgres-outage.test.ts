/**
 * Issue #18, part 2: the database goes away under two running instances (a fast shutdown, as
 * `pg_ctl stop -m fast` does) and comes back. Meanwhile SMTP answers a clear 451 (try again
 * later), never a 250 it could not keep; afterwards 250 again, waits across instances work again,
 * and nothing acknowledged is lost.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Mailnest } from "@mailnest/client";
import type { Health } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import {
  type MailnestInstance,
  missingFrom,
  startInstances,
  withPassword,
} from "../test-support/mailnest-instances.js";
import { PostgresCluster } from "../test-support/postgres/postgres-cluster.js";
import { createDatabaseOn } from "../test-support/postgres/test-database.js";
import { queuedId, type SmtpReply, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();
/** Trust authentication ignores it; it is there to show that no answer ever contains it. */
const PASSWORD = "never-shown-51d7";

/** Messages per phase, per instance. */
const PER_PHASE = 5;
/**
 * How long messages keep coming while the database is down, one to each instance every
 * `OUTAGE_PAUSE_MS` (at most `OUTAGE_ROUNDS` rounds): long enough, with traffic throughout, that
 * postgres.js's default pause between connection attempts (×3 per failure, up to 20 s) held later
 * messages for many seconds before their 451.
 */
const OUTAGE_MS = 6_000;
const OUTAGE_PAUSE_MS = 100;
const OUTAGE_ROUNDS = 60;
/**
 * Bounds, not measures: a 451 that takes longer than this while the database is away is a client
 * left hanging, and so is a pool that has not reconnected this long after it is back.
 */
const ANSWER_BOUND_MS = 4_000;
const RECOVERY_BOUND_MS = 6_000;
const RECOVERY_PAUSE_MS = 200;
/** A wait armed during the outage must outlive it: a bound, not a measure. */
const WAIT_TIMEOUT_MS = 120_000;

let sent = 0;
async function send(instance: MailnestInstance, to = "outage@example.test"): Promise<SmtpReply> {
  const client = await SmtpTestClient.open(instance.smtpPort);
  try {
    const i = sent++;
    return await client.sendMessage({
      from: "app@example.test",
      to: [to],
      raw: rfc822({ subject: `outage ${i} via ${instance.name}`, to, body: `message ${i}` }),
    });
  } finally {
    await client.quit();
  }
}

describe("PostgreSQL restarted under two instances", () => {
  it("451 while it is down, 250 again once it is back, and every 250 kept", async () => {
    // A server of its own: stopping the run's shared one would fail other files' tests.
    const cluster = await PostgresCluster.create();
    cleanup(() => cluster.destroy());
    const database = await createDatabaseOn(cluster.url());
    const [a, b] = (await startInstances(cleanup, withPassword(database.url, PASSWORD), ["A", "B"])) as [
      MailnestInstance,
      MailnestInstance,
    ];
    const acknowledged = new Set<string>();
    const accept = (reply: SmtpReply) => {
      expect(reply.code, reply.raw).toBe(250);
      acknowledged.add(queuedId(reply.raw));
    };

    for (let i = 0; i < PER_PHASE; i++) for (const instance of [a, b]) accept(await send(instance));
    const storedByB = await send(b);
    accept(storedByB);

    await cluster.stop();
    const duringOutage: Array<{ reply: SmtpReply; ms: number }> = [];
    const outageEnds = performance.now() + OUTAGE_MS;
    for (let round = 0; round < OUTAGE_ROUNDS && performance.now() < outageEnds; round++) {
      for (const instance of [a, b]) {
        const started = performance.now();
        const reply = await send(instance);
        duringOutage.push({ reply, ms: Math.round(performance.now() - started) });
      }
      await sleep(OUTAGE_PAUSE_MS);
    }
    for (const { reply } of duringOutage) expect(reply.raw).toMatch(/^451 4\.3\.0 .*try again later/);
    const slowest = Math.max(...duringOutage.map(({ ms }) => ms));
    expect(slowest, `451s took ${duringOutage.map(({ ms }) => ms).join(", ")} ms`).toBeLessThan(
      ANSWER_BOUND_MS,
    );
    // The HTTP side stays up, ready, and says the database is out of reach; a test may even arm a
    // wait on B now.
    const healthDuring = await fetch(`${b.url}/api/health`);
    expect(healthDuring.status).toBe(200);
    const during = (await healthDuring.json()) as Health;
    expect({ status: during.status, ready: during.ready, reachable: during.store.reachable }).toEqual({
      status: "degraded",
      ready: true,
      reachable: false,
    });
    // What must come from the database answers 503 storage_unavailable, saying what it read.
    const rawStarted = performance.now();
    const raw = await fetch(`${b.url}/api/messages/${queuedId(storedByB.raw)}/raw`);
    expect(raw.status).toBe(503);
    expect(performance.now() - rawStarted).toBeLessThan(ANSWER_BOUND_MS);
    const body = (await raw.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("storage_unavailable");
    expect(body.error.message).toMatch(/^Storage unavailable while reading the (size|raw bytes) of message /);
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
    // So does a change of the shared DNS zone: it would reach no other instance.
    const record = { name: "outage.example.test", type: "TXT", value: "v=spf1 -all" };
    const refusedRecord = await fetch(`${b.url}/api/dns/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(record),
    });
    expect(refusedRecord.status).toBe(503);
    expect(((await refusedRecord.json()) as { error: { message: string } }).error.message).toMatch(
      /^Storage unavailable while changing the DNS zone in PostgreSQL/,
    );
    const held = await new Mailnest({ url: b.url }).inbox("held@example.test");
    const heldWait = held.waitForMessage({ subject: /^outage / }, { timeout: WAIT_TIMEOUT_MS });

    await cluster.start();
    const back = performance.now();
    let recovered: SmtpReply | null = null;
    while (recovered === null && performance.now() - back < RECOVERY_BOUND_MS) {
      const reply = await send(a);
      if (reply.code === 250) recovered = reply;
      else {
        expect(reply.raw).toMatch(/^451 /);
        await sleep(RECOVERY_PAUSE_MS);
      }
    }
    expect(recovered, `no 250 within ${RECOVERY_BOUND_MS} ms of the database coming back`).not.toBeNull();
    if (recovered) accept(recovered);

    // The wait armed during the outage is answered by mail A stored after it: B listens again.
    const heldReply = await send(a, "held@example.test");
    accept(heldReply);
    expect((await heldWait).id).toBe(queuedId(heldReply.raw));

    // And a wait armed now, too.
    const inbox = await new Mailnest({ url: b.url }).createInbox();
    const waiting = inbox.waitForMessage({ subject: /^outage / });
    const reply = await send(a, inbox.address);
    accept(reply);
    expect((await waiting).id).toBe(queuedId(reply.raw));
    for (let i = 0; i < PER_PHASE; i++) for (const instance of [a, b]) accept(await send(instance));
    for (const instance of [a, b]) {
      const after = (await (await fetch(`${instance.url}/api/health`)).json()) as Health;
      expect({ status: after.status, reachable: after.store.reachable }).toEqual({
        status: "ok",
        reachable: true,
      });
    }

    // B listens to the DNS zone again too: a record added through A reaches it.
    const added = await fetch(`${a.url}/api/dns/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(record),
    });
    expect(added.status).toBe(201);
    await expect
      .poll(
        async () => {
          const listed = (await (await fetch(`${b.url}/api/dns/records?name=${record.name}`)).json()) as {
            records: unknown[];
          };
          return listed.records.length;
        },
        { timeout: 15_000 },
      )
      .toBe(1);

    for (const instance of [a, b]) {
      const missing = await missingFrom(instance.url, acknowledged);
      expect({ instance: instance.name, missing }).toEqual({ instance: instance.name, missing: [] });
    }
  }, 180_000);
});
