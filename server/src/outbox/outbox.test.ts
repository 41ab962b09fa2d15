import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { type AttemptResult, type Job, Outbox, type OutboxOptions } from "./outbox.js";
import { retryDelay } from "./retry-policy.js";

const cleanup = useCleanup();

const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 60_000 };
const SERIAL = { paused: false, concurrency: 1 };

type Perform = OutboxOptions<string>["perform"];

async function openOutbox(
  file: string | null,
  perform: Perform,
  options: Partial<OutboxOptions<string>> = {},
) {
  const outbox = await Outbox.open<string, { name: string }>({
    file,
    jobIdPrefix: "dl",
    perform,
    retry: FAST_RETRY,
    ...options,
  });
  cleanup(() => outbox.close());
  return outbox;
}

/** Resolves once `predicate` holds for the job (checked now and at every change). */
function settled(outbox: Outbox<string, unknown>, jobId: string, state: Job<string>["state"]) {
  return new Promise<Readonly<Job<string>>>((resolve) => {
    const check = () => {
      const job = outbox.job(jobId);
      if (job?.state === state) {
        stop();
        resolve(job);
      }
    };
    const stop = outbox.onChange(check);
    check();
  });
}

const ok: AttemptResult = { ok: true, status: 200 };
const fail = (status: number | null = 500): AttemptResult => ({ ok: false, status, error: `HTTP ${status}` });

describe("Outbox", () => {
  it("retries a failing job with backoff until it succeeds, logging every attempt", async () => {
    const answers = [fail(500), fail(503), ok];
    const outbox = await openOutbox(null, async () => answers.shift()!);
    await outbox.putLane("a", { name: "a" }, SERIAL);
    outbox.start();
    const job = await outbox.enqueue("a", "hello");
    const done = await settled(outbox, job.id, "delivered");
    expect(done.attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 503, "HTTP 503"],
      [3, 200, null],
    ]);
    const [first, second, third] = done.attempts.map((attempt) => Date.parse(attempt.at));
    // Equal jitter: at least half the nominal delay (5 ms, then 10 ms) passed between attempts.
    expect(second! - first!).toBeGreaterThanOrEqual(2);
    expect(third! - second!).toBeGreaterThanOrEqual(5);
  });

  it("keeps a lane in order: a later job waits while an earlier one is backing off", async () => {
    const order: string[] = [];
    let failuresLeft = 3;
    const outbox = await openOutbox(null, async (job) => {
      order.push(job.payload);
      if (job.payload === "first" && failuresLeft-- > 0) return fail(500);
      return ok;
    });
    await outbox.putLane("a", { name: "a" }, SERIAL);
    outbox.start();
    const jobs = await Promise.all(
      ["first", "second", "third"].map((payload) => outbox.enqueue("a", payload)),
    );
    await settled(outbox, jobs[2]!.id, "delivered");
    expect(order).toEqual(["first", "first", "first", "first", "second", "third"]);
  });

  it("runs up to `concurrency` jobs of a lane at once, and lanes independently", async () => {
    let running = 0;
    let peak = 0;
    const outbox = await openOutbox(null, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return ok;
    });
    await outbox.putLane("a", { name: "a" }, { paused: false, concurrency: 3 });
    outbox.start();
    const jobs = await Promise.all(Array.from({ length: 9 }, (_, i) => outbox.enqueue("a", `m${i}`)));
    await Promise.all(jobs.map((job) => settled(outbox, job.id, "delivered")));
    expect(peak).toBe(3);
  });

  it("gives up once the retry window is over, says why, and a redelivery is a new job that can succeed", async () => {
    let receiverUp = false;
    const outbox = await openOutbox(null, async () => (receiverUp ? ok : fail(502)), {
      retry: { initialDelayMs: 5, maxDelayMs: 10, giveUpAfterMs: 40 },
    });
    await outbox.putLane("a", { name: "a" }, SERIAL);
    outbox.start();
    const job = await outbox.enqueue("a", "payload");
    const dead = await settled(outbox, job.id, "dead");
    expect(dead.attemptCount).toBeGreaterThan(1);
    expect(dead.deadReason).toMatch(/^gave up after \d+ attempts over \d+ ms: HTTP 502$/);

    receiverUp = true;
    const again = await outbox.redeliver(job.id);
    expect(again).toMatchObject({ payload: "payload", redeliveryOf: job.id, state: "pending" });
    expect(again.id).not.toBe(job.id);
    await settled(outbox, again.id, "delivered");
    expect(outbox.job(job.id)?.state).toBe("dead");
    expect(outbox.jobs("a").map((entry) => entry.id)).toEqual([again.id, job.id]);
  });

  it("a permanent failure is dead at once", async () => {
    const outbox = await openOutbox(null, async () => ({
      ok: false,
      status: 550,
      error: "550 mailbox unavailable",
      permanent: true,
    }));
    await outbox.putLane("a", { name: "a" }, SERIAL);
    outbox.start();
    const dead = await settled(outbox, (await outbox.enqueue("a", "x")).id, "dead");
    expect(dead.attemptCount).toBe(1);
    expect(dead.deadReason).toBe("permanent failure: 550 mailbox unavailable");
  });

  it("an attempt that hangs fails at the timeout and is retried", async () => {
    let calls = 0;
    const outbox = await openOutbox(
      null,
      (_job, signal) => {
        calls += 1;
        if (calls > 1) return Promise.resolve(ok);
        return new Promise((resolve) => signal.addEventListener("abort", () => resolve(fail(null))));
      },
      { attemptTimeoutMs: 50 },
    );
    await outbox.putLane("a", { name: "a" }, SERIAL);
    outbox.start();
    const done = await settled(outbox, (await outbox.enqueue("a", "x")).id, "delivered");
    expect(done.attempts[0]).toMatchObject({ status: null, error: "timed out after 50 ms" });
    expect(done.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(45);
  });

  it("a paused lane keeps its jobs and sends them in order once resumed", async () => {
    const sent: string[] = [];
    const outbox = await openOutbox(null, async (job) => {
      sent.push(job.payload);
      return ok;
    });
    await outbox.putLane("a", { name: "a" }, { paused: true, concurrency: 1 });
    outbox.start();
    const jobs = await Promise.all(["1", "2"].map((payload) => outbox.enqueue("a", payload)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(sent).toEqual([]);
    await outbox.putLane("a", { name: "a" }, SERIAL);
    await settled(outbox, jobs[1]!.id, "delivered");
    expect(sent).toEqual(["1", "2"]);
  });

  it("beyond the pending limit a job is recorded dead without an attempt", async () => {
    const outbox = await openOutbox(null, async () => ok, { maxPendingPerLane: 2 });
    await outbox.putLane("a", { name: "a" }, { paused: true, concurrency: 1 });
    const jobs = await Promise.all(["1", "2", "3"].map((payload) => outbox.enqueue("a", payload)));
    expect(jobs.map((job) => job.state)).toEqual(["pending", "pending", "dead"]);
    expect(jobs[2]!.deadReason).toBe("not attempted: 2 deliveries were already waiting (limit 2)");
  });

  it("pending jobs, attempts and lanes survive a reopen; delivery continues after start()", async () => {
    const file = path.join(await tempDir(cleanup), "outbox", "webhooks.journal");
    const first = await openOutbox(file, async () => fail(500), {
      retry: { initialDelayMs: 300, maxDelayMs: 300, giveUpAfterMs: 3_600_000 },
    });
    await first.putLane("a", { name: "endpoint a" }, SERIAL);
    first.start();
    const job = await first.enqueue("a", "survivor", { sequence: 7 });
    await new Promise<void>((resolve) => {
      first.onChange((changed) => {
        if (changed.attemptCount === 1) resolve();
      });
    });
    await first.close();

    const second = await openOutbox(file, async () => ok);
    expect(second.lane("a")).toMatchObject({ meta: { name: "endpoint a" }, lastSequence: 7 });
    const reloaded = second.job(job.id)!;
    expect(reloaded).toMatchObject({ state: "pending", attemptCount: 1, payload: "survivor" });
    // The backoff the first process chose still holds after the restart.
    expect(reloaded.nextAttemptAt).toBeGreaterThan(Date.parse(reloaded.attempts[0]!.at) + 100);
    second.start();
    const done = await settled(second, job.id, "delivered");
    expect(done.attempts.map((attempt) => attempt.status)).toEqual([500, 200]);
  });

  it("close() interrupts a running attempt; it is logged and made again after the restart", async () => {
    const file = path.join(await tempDir(cleanup), "webhooks.journal");
    let started!: () => void;
    const attemptStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const first = await openOutbox(file, (_job, signal) => {
      started();
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve(fail(null))));
    });
    await first.putLane("a", { name: "a" }, SERIAL);
    first.start();
    const job = await first.enqueue("a", "x");
    await attemptStarted;
    await first.close();

    const second = await openOutbox(file, async () => ok);
    expect(second.job(job.id)).toMatchObject({
      state: "pending",
      attempts: [{ attempt: 1, error: "interrupted: Mailnest shut down during the attempt" }],
    });
    second.start();
    const done = await settled(second, job.id, "delivered");
    expect(done.attemptCount).toBe(2);
  });

  it("dropping a lane forgets its jobs, across a reopen too", async () => {
    const file = path.join(await tempDir(cleanup), "webhooks.journal");
    const first = await openOutbox(file, async () => ok);
    await first.putLane("a", { name: "a" }, { paused: true, concurrency: 1 });
    const job = await first.enqueue("a", "x");
    expect(await first.dropLane("a")).toBe(true);
    expect(first.job(job.id)).toBeNull();
    await expect(first.enqueue("a", "y")).rejects.toThrow(/no lane "a"/);
    await first.close();
    const second = await openOutbox(file, async () => ok);
    expect(second.lanes()).toEqual([]);
  });
});

describe("retryDelay", () => {
  const policy = { initialDelayMs: 1000, maxDelayMs: 3_600_000, giveUpAfterMs: 86_400_000 };

  it("doubles from the initial delay, is capped, and jitters within [half, full)", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(policy, attempt, () => 1 - Number.EPSILON))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(retryDelay(policy, 1, () => 0)).toBe(500);
    expect(retryDelay(policy, 40, () => 1 - Number.EPSILON)).toBe(3_600_000);
  });
});
