import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  plainMessage,
  signWithMailauth,
  spawnVerifierFromSource,
} from "../test-support/deliverability-kit.js";
import { createDkimKey } from "./dkim-keys.js";
import { createDnsResolver } from "./dns-resolver.js";
import { DnsZone } from "./dns-zone.js";
import type { VerifierWorkerData } from "./verifier-messages.js";
import { createVerifierPool } from "./verifier-pool.js";
import { createMessageVerifier } from "./verify-message.js";
import { localZoneEditor } from "./zone-editor.js";

const pools: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

/** A pool over `zone` whose threads run the TypeScript sources; `spawned` lists each thread started. */
function poolOver(
  zone: DnsZone,
  options: {
    threads?: number;
    startAfter?: Promise<void>;
    startAhead?: boolean;
    stopAfterIdleMs?: number;
  } = {},
) {
  const resolver = createDnsResolver({ zone });
  const fallback = createMessageVerifier({ resolver, authservId: "mx.mailnest.test" });
  const spawned: VerifierWorkerData[] = [];
  const workers: Worker[] = [];
  const pool = createVerifierPool({
    resolver,
    authservId: "mx.mailnest.test",
    threads: options.threads ?? 1,
    fallback,
    spawn: (workerData) => {
      spawned.push(workerData);
      const worker = spawnVerifierFromSource(workerData);
      workers.push(worker);
      return worker;
    },
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
    ...(options.startAhead !== undefined ? { startAhead: options.startAhead } : {}),
    ...(options.stopAfterIdleMs !== undefined ? { stopAfterIdleMs: options.stopAfterIdleMs } : {}),
  });
  pools.push(pool);
  return { pool, spawned, workers };
}

const FROM_EXAMPLE = { ip: "192.0.2.10", helo: "mail.example.test", mailFrom: "ada@example.test" };

describe("verification on a worker thread", () => {
  it("sees every zone change made after it started, in order", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    const { pool } = poolOver(zone);
    const key = await createDkimKey(localZoneEditor(zone), { domain: "example.test", selector: "s1" });
    const raw = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "s1",
      privateKey: key.privateKeyPem,
    });

    const signed = await pool.verify({ raw, ...FROM_EXAMPLE });
    zone.remove({ name: "s1._domainkey.example.test" });
    const keyGone = await pool.verify({ raw, ...FROM_EXAMPLE });

    // A replacement (a shared zone read again) reaches the thread as one change.
    zone.replace([{ name: "example.test", type: "TXT", value: "v=spf1 -all", ttl: 300 }, key.record]);
    const replaced = await pool.verify({ raw, ...FROM_EXAMPLE });

    expect(signed.dkim[0]).toMatchObject({ result: "pass", keyBits: 2048 });
    expect(signed.spf).toMatchObject({ result: "pass", mechanism: "ip4:192.0.2.0/24" });
    expect(keyGone.dkim[0]).toMatchObject({
      result: "permerror",
      reason: "no key for selector s1 at example.test in the zone",
    });
    expect(replaced.dkim[0]).toMatchObject({ result: "pass" });
    expect(replaced.spf).toMatchObject({ result: "fail", mechanism: "-all" });
  });

  it("posts a message to an idle thread at once, those of one turn to a busy thread in one batch; one sent after a zone change sees the change", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    const { pool } = poolOver(zone);
    const sent: unknown[] = [];
    const { Worker: WorkerClass } = await import("node:worker_threads");
    const original = WorkerClass.prototype.postMessage;
    WorkerClass.prototype.postMessage = function (this: Worker, value: unknown, ...rest: never[]) {
      sent.push(value);
      return original.call(this, value, ...rest);
    };
    try {
      // Four messages and a change of the SPF record in one synchronous stretch: the first goes at
      // once, the next two wait for the end of the turn, and the change posts them before itself, so
      // the message after it is verified against the new record. (Those before it may see either: a
      // change is not held back while verifications are in flight, on a thread or not.)
      const before = [1, 2, 3].map(() => pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE }));
      zone.remove({ name: "example.test" });
      zone.add({ name: "example.test", type: "TXT", value: "v=spf1 -all" });
      const after = pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });

      await Promise.all(before);
      expect((await after).spf.result).toBe("fail");
    } finally {
      WorkerClass.prototype.postMessage = original;
    }
    const batches = sent
      .filter(
        (value): value is { kind: "verify"; requests: unknown[] } =>
          (value as { kind?: string }).kind === "verify",
      )
      .map((batch) => batch.requests.length);
    expect(batches).toEqual([1, 2, 1]);
  });

  it("leaves the caller's bytes as they were: the thread gets a copy of its own", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    const { pool } = poolOver(zone);
    const expected = plainMessage();
    // A slice of Node's shared pool, and bytes that own their whole ArrayBuffer (which a transfer
    // of the caller's memory would detach).
    const pooled = Buffer.from(expected.toString("latin1"), "latin1");
    const own = Buffer.allocUnsafeSlow(expected.length);
    expected.copy(own);

    for (const raw of [pooled, own, own]) {
      const verdicts = await pool.verify({ raw, ...FROM_EXAMPLE });
      expect(verdicts.spf).toMatchObject({ result: "pass" });
      expect(raw.byteLength).toBe(expected.length);
      expect(raw.equals(expected)).toBe(true);
    }
  });

  it("after close, messages are verified on the main thread", async () => {
    const zone = new DnsZone();
    const { pool } = poolOver(zone);
    await pool.close();

    const auth = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });

    expect(auth.spf.result).toBe("none");
  });
});

describe("when the threads start", () => {
  function countingPool(startAfter: Promise<void>) {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    return poolOver(zone, { threads: 2, startAfter });
  }

  it("waits for startAfter (the server's own startup), then starts every thread", async () => {
    let start = () => {};
    const { spawned } = countingPool(
      new Promise<void>((resolve) => {
        start = resolve;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spawned).toHaveLength(0);
    start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned).toHaveLength(2);
  });

  it("with startAhead false, starts none at startAfter; warm() starts them, or, called before startAfter, when it resolves", async () => {
    const zone = new DnsZone();
    const startups = [() => {}, () => {}];
    const startup = (index: number) =>
      new Promise<void>((resolve) => {
        startups[index] = resolve;
      });
    const { pool, spawned } = poolOver(zone, { threads: 2, startAhead: false, startAfter: startup(0) });
    const early = poolOver(zone, { startAhead: false, startAfter: startup(1) });

    startups[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(spawned).toHaveLength(0);
    pool.warm();
    expect(spawned).toHaveLength(2);
    expect(pool.runningThreads()).toBe(2);

    early.pool.warm();
    expect(early.spawned).toHaveLength(0);
    startups[1]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(early.spawned).toHaveLength(1);
  });

  it("a message that comes first starts its thread itself and is verified there", async () => {
    const { pool, spawned } = countingPool(new Promise<void>(() => {}));
    const result = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(result.spf).toMatchObject({ result: "pass" });
    expect(spawned).toHaveLength(1);
  });
});

describe("a thread that does not answer in time", () => {
  it("is stopped, its message gets temperror verdicts, and the next message goes to a new thread", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    const resolver = createDnsResolver({ zone });
    const workers: Worker[] = [];
    let hang = true;
    const pool = createVerifierPool({
      resolver,
      authservId: "mx.mailnest.test",
      threads: 1,
      fallback: createMessageVerifier({ resolver, authservId: "mx.mailnest.test" }),
      // Long enough for a thread started from the TypeScript sources to load and answer.
      timeoutMs: 4_000,
      spawn: (workerData) => {
        // The first thread busies itself forever, as one stuck on a costly message would.
        const worker = hang
          ? new Worker("setInterval(() => {}, 1000)", { eval: true })
          : spawnVerifierFromSource(workerData);
        hang = false;
        workers.push(worker);
        return worker;
      },
    });
    pools.push(pool);

    const late = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(late.spf.result).toBe("temperror");
    await once(workers[0]!, "exit");
    const next = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(next.spf.result).toBe("pass");
    expect(workers).toHaveLength(2);
  });
});

describe("threads with nothing to do", () => {
  it("stops one after stopAfterIdleMs without a message; the next message starts a new one, with the zone as it is then", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    const { pool, spawned, workers } = poolOver(zone, { stopAfterIdleMs: 200 });

    const first = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(pool.runningThreads()).toBe(1);
    // Exits by itself: nothing here terminates it (the test's timeout fails a thread kept forever).
    await once(workers[0]!, "exit");
    expect(pool.runningThreads()).toBe(0);
    zone.replace([{ name: "example.test", type: "TXT", value: "v=spf1 -all", ttl: 300 }]);
    const second = await pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE });

    expect(first.spf.result).toBe("pass");
    expect(spawned).toHaveLength(2);
    // The new thread was started with the zone of now, not the one the first thread had.
    expect(spawned[1]!.records).toEqual([expect.objectContaining({ value: "v=spf1 -all" })]);
    expect(second.spf).toMatchObject({ result: "fail", mechanism: "-all" });
  });

  it("stopping and starting threads between messages loses no verdict", async () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    // 1 ms: a thread is stopped in almost every pause, also while the next message is on its way.
    const { pool, spawned } = poolOver(zone, { threads: 2, stopAfterIdleMs: 1 });

    const verdicts = [];
    for (let round = 0; round < 4; round += 1) {
      const burst = [1, 2, 3].map(() => pool.verify({ raw: plainMessage(), ...FROM_EXAMPLE }));
      verdicts.push(...(await Promise.all(burst)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(verdicts.map((verdict) => verdict.spf.result)).toEqual(Array(12).fill("pass"));
    // Stopped and started again: more threads than the pool's two.
    expect(spawned.length).toBeGreaterThan(2);
  });
});
