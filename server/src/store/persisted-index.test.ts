import { deserialize, serialize } from "node:v8";
import type { Adapter } from "lowdb";
import { describe, expect, it, vi } from "vitest";
import { failingWrites } from "../test-support/failing-index-storage.js";
import { createMemoryIndexStorage, type IndexStorage } from "./index-storage.js";
import type { MessageSummary } from "./model.js";
import {
  type IndexState,
  PersistedIndex,
  SHARD_SIZE,
  type SnapshotRefreshPolicy,
} from "./persisted-index.js";

function summary(sequence: number): MessageSummary {
  return {
    id: `01jz${String(sequence).padStart(22, "0")}`,
    sequence,
    inboxes: ["a@x.test"],
    mailFrom: "",
    rcptTo: ["a@x.test"],
    messageId: null,
    subject: `s${sequence}`,
    from: [],
    to: [],
    cc: [],
    date: null,
    receivedAt: "2025-07-01T10:00:00.000Z",
    receivedTime: Date.parse("2025-07-01T10:00:00.000Z"),
    duplicateOf: null,
    size: 1,
    sha256: "",
    attachmentCount: 0,
    authUser: null,
    tls: false,
    read: false,
    snippet: "",
    parseError: null,
  };
}

/** Memory storage that counts writes per document. */
function countingStorage(): IndexStorage & { writes: Map<string, number> } {
  const inner = createMemoryIndexStorage();
  const writes = new Map<string, number>();
  return {
    writes,
    list: () => inner.list(),
    remove: (name) => inner.remove(name),
    readSnapshot: () => inner.readSnapshot(),
    writeSnapshot: (data) => inner.writeSnapshot(data),
    adapter<T>(name: string): Adapter<T> {
      const adapter = inner.adapter<T>(name);
      return {
        read: () => adapter.read(),
        write: async (data: T) => {
          writes.set(name, (writes.get(name) ?? 0) + 1);
          await adapter.write(data);
        },
      };
    },
  };
}

function inShard(summaries: MessageSummary[], shard: number): MessageSummary[] {
  return summaries.filter((s) => s.sequence >= shard * SHARD_SIZE && s.sequence < (shard + 1) * SHARD_SIZE);
}

/** Runs `work` with console.error silenced: the index reports a failed write there once. */
async function withoutErrorLog(work: () => Promise<void>): Promise<void> {
  const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    await work();
  } finally {
    quiet.mockRestore();
  }
}

function fixture(count: number) {
  const summaries = Array.from({ length: count }, (_, i) => summary(i + 1));
  const state: IndexState = { lastSequence: count, inboxes: [], messageCount: count };
  const storage = countingStorage();
  const persisted = new PersistedIndex(storage, {
    summariesInShard: (shard) => inShard(summaries, shard),
    all: () => summaries,
    state: () => state,
  });
  return { summaries, state, storage, persisted };
}

describe("PersistedIndex", () => {
  it("shards summaries by sequence and loads them all back", async () => {
    const { storage, persisted, summaries } = fixture(SHARD_SIZE * 2 + 10);
    for (const s of summaries) persisted.markSequence(s.sequence);
    persisted.markState();
    await persisted.flush();
    expect((await storage.list()).sort()).toEqual([
      "messages-000000",
      "messages-000001",
      "messages-000002",
      "state",
    ]);

    const reloaded = await new PersistedIndex(storage, {
      summariesInShard: () => [],
      all: () => [],
      state: () => ({ lastSequence: 0, inboxes: [], messageCount: null }),
    }).load();
    expect(reloaded.summaries.map((s) => s.sequence)).toEqual(summaries.map((s) => s.sequence));
    expect(reloaded.state.lastSequence).toBe(summaries.length);
  });

  it("rewrites only the shard a change touched, whatever the store size", async () => {
    const { storage, persisted, summaries } = fixture(SHARD_SIZE * 4);
    for (const s of summaries) persisted.markSequence(s.sequence);
    await persisted.flush();
    storage.writes.clear();

    summaries[5]!.read = true;
    persisted.markSequence(summaries[5]!.sequence);
    await persisted.flush();
    expect([...storage.writes.entries()]).toEqual([["messages-000000", 1]]);
  });

  it("batches many changes into one write per shard", async () => {
    const { storage, persisted, summaries } = fixture(50);
    persisted.start();
    for (const s of summaries) persisted.markSequence(s.sequence);
    await persisted.flush();
    expect(storage.writes.get("messages-000000")).toBe(1);
  });

  it("removes a shard whose messages are all gone", async () => {
    const { storage, persisted, summaries } = fixture(3);
    for (const s of summaries) persisted.markSequence(s.sequence);
    await persisted.flush();
    summaries.splice(0);
    persisted.markSequence(1);
    await persisted.flush();
    expect(await storage.list()).toEqual([]);
  });

  it("flushes by itself after start, but not before", async () => {
    const { storage, persisted } = fixture(1);
    persisted.markSequence(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(storage.writes.size).toBe(0);
    persisted.start();
    await expect.poll(() => storage.writes.get("messages-000000"), { timeout: 2000 }).toBe(1);
  });

  it("reads the shards in parallel at startup, and keeps them in sequence order", async () => {
    const { storage, persisted, summaries } = fixture(SHARD_SIZE * 6);
    for (const s of summaries) persisted.markSequence(s.sequence);
    await persisted.flush();
    let reading = 0;
    let mostAtOnce = 0;
    const slow: IndexStorage = {
      ...storage,
      adapter<T>(name: string): Adapter<T> {
        const inner = storage.adapter<T>(name);
        return {
          async read() {
            reading += 1;
            mostAtOnce = Math.max(mostAtOnce, reading);
            await new Promise((resolve) => setTimeout(resolve, 5));
            reading -= 1;
            return inner.read();
          },
          write: (data: T) => inner.write(data),
        };
      },
    };
    const reloaded = await new PersistedIndex(slow, {
      summariesInShard: () => [],
      all: () => [],
      state: () => ({ lastSequence: 0, inboxes: [], messageCount: null }),
    }).load();
    expect(mostAtOnce).toBeGreaterThan(1);
    expect(reloaded.summaries.map((s) => s.sequence)).toEqual(summaries.map((s) => s.sequence));
  });

  it("treats unreadable documents as empty", async () => {
    const storage = createMemoryIndexStorage();
    await storage.adapter<unknown>("messages-000000").write({ messages: [{ id: "../../etc" }, "junk"] });
    await storage.adapter<unknown>("state").write({ lastSequence: "x", inboxes: [{ address: 1 }] });
    const loaded = await new PersistedIndex(storage, {
      summariesInShard: () => [],
      all: () => [],
      state: () => ({ lastSequence: 0, inboxes: [], messageCount: null }),
    }).load();
    expect(loaded).toEqual({ summaries: [], state: { lastSequence: 0, inboxes: [], messageCount: null } });
  });
});

/** The snapshot's frames, each copied (a storage may reuse a frame's buffer for the next). */
async function framesOf(storage: IndexStorage): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for await (const frame of storage.readSnapshot()) frames.push(Buffer.from(frame));
  return frames;
}

describe("PersistedIndex: the snapshot a clean close leaves", () => {
  /** A fresh index over the same storage, as the next start builds it (the source is what it then holds). */
  const nextStart = (storage: IndexStorage, held: MessageSummary[] = []) =>
    new PersistedIndex(storage, {
      summariesInShard: (shard) => inShard(held, shard),
      all: () => held,
      state: () => ({ lastSequence: held.length, inboxes: [], messageCount: held.length }),
    });

  /**
   * Three shards and the state on disk and the snapshot beside them, then shard 1's file lost by hand:
   * only the snapshot still holds shard 1's summaries, which tells which source a load read.
   */
  async function closedWithSnapshot() {
    const made = fixture(SHARD_SIZE * 2 + 10);
    for (const s of made.summaries) made.persisted.markSequence(s.sequence);
    made.persisted.markState();
    await made.persisted.writeSnapshot();
    await made.storage.remove("messages-000001");
    return made;
  }
  const sequences = (list: MessageSummary[]) => list.map((s) => s.sequence);

  it("is what the next starts load for the shards not written since", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    for (let start = 0; start < 2; start += 1) {
      const loaded = await nextStart(storage).load();
      expect(sequences(loaded.summaries)).toEqual(sequences(summaries));
      expect(loaded.summaries[0]).toEqual(summaries[0]);
    }
  });

  it("a shard written after it replaces its range, and one emptied since empties it, crash or not", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    const held = structuredClone(summaries);
    const running = nextStart(storage, held);
    await running.load();
    held[0]!.read = true; // shard 0 changes
    held.splice(SHARD_SIZE * 2 - 1); // shard 2 (sequences 500–510) loses every message: its file goes
    running.markSequence(held[0]!.sequence);
    running.markSequence(SHARD_SIZE * 2);
    await running.flush(); // and then the process is killed: no close, no new snapshot

    const loaded = await nextStart(storage).load();
    expect(loaded.summaries[0]!.read).toBe(true);
    expect(sequences(loaded.summaries)).toEqual(sequences(held)); // shard 1 still from the snapshot
  });

  it("is ignored when state.json names another snapshot, and when damaged", async () => {
    for (const replacement of [
      [serialize({ format: 3, id: "another", count: 0 })],
      [Buffer.from("not a V8 serialisation")],
      [serialize({ format: 99, id: "x", count: 0 })],
      [],
    ]) {
      const { storage, summaries } = await closedWithSnapshot();
      await storage.writeSnapshot(replacement);
      const loaded = await nextStart(storage).load();
      expect(loaded.summaries).toHaveLength(summaries.length - SHARD_SIZE);
    }
  });

  it("holds thousands of summaries in frames of 2,000, and is ignored when a frame is missing", async () => {
    const { storage, summaries, persisted } = fixture(4_500);
    for (const s of summaries) persisted.markSequence(s.sequence);
    persisted.markState();
    await persisted.writeSnapshot();
    const frames = await framesOf(storage);
    expect(frames).toHaveLength(4); // the header, then 2,000 + 2,000 + 500
    // Every shard lost by hand: what loads comes from the snapshot.
    for (let shard = 0; shard <= 4_500 / SHARD_SIZE; shard += 1) {
      await storage.remove(`messages-${String(shard).padStart(6, "0")}`);
    }
    expect((await nextStart(storage).load()).summaries).toEqual(summaries);
    // Without its last frame the header's count is not met: the shards (none left) are read.
    await storage.writeSnapshot(frames.slice(0, -1));
    expect((await nextStart(storage).load()).summaries).toEqual([]);
  });

  it("is ignored when one of its entries is not a summary", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    const state = await storage.adapter<{ snapshot: { id: string } }>("state").read();
    await storage.writeSnapshot([
      serialize({ format: 3, id: state!.snapshot.id, count: 1 }),
      serialize(["junk"]),
    ]);
    const loaded = await nextStart(storage).load();
    expect(loaded.summaries).toHaveLength(summaries.length - SHARD_SIZE);
  });

  it("a shard is listed as changed before it is written: if the listing fails, the shard is not written", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    let failState = false;
    const flaky = failingWrites(storage, (name) => name === "state" && failState);
    const held = structuredClone(summaries);
    const running = nextStart(flaky, held);
    await running.load();
    held[0]!.read = true;
    running.markSequence(held[0]!.sequence);
    storage.writes.clear();
    failState = true;
    await withoutErrorLog(() => running.flush());
    expect(storage.writes.get("messages-000000")).toBeUndefined();
    // Once state.json can be written again, the same flush retries both, listing first.
    failState = false;
    await running.flush();
    expect(storage.writes.get("messages-000000")).toBe(1);
    expect((await nextStart(storage).load()).summaries[0]!.read).toBe(true);
  });

  it("is not written when a shard write failed: the shards are behind the index", async () => {
    const { storage, summaries } = fixture(SHARD_SIZE + 10);
    const persisted = nextStart(
      failingWrites(storage, (name) => name === "messages-000001"),
      summaries,
    );
    for (const s of summaries) persisted.markSequence(s.sequence);
    persisted.markState();
    let durable: boolean | null = null;
    await withoutErrorLog(async () => {
      durable = await persisted.writeSnapshot();
    });
    // The close learns the index is behind, so it leaves no clean-shutdown marker.
    expect(durable).toBe(false);
    expect(await framesOf(storage)).toEqual([]);
  });
});

describe("PersistedIndex: a snapshot replaced while running", () => {
  const nextStart = (storage: IndexStorage, held: MessageSummary[] = [], refresh?: SnapshotRefreshPolicy) =>
    new PersistedIndex(
      storage,
      {
        summariesInShard: (shard) => inShard(held, shard),
        all: () => held,
        state: () => ({ lastSequence: held.length, inboxes: [], messageCount: held.length }),
      },
      refresh ? { refresh } : {},
    );
  /** A policy that refreshes only when told to (`refreshIfBehind`) unless `quietMs` or `busyShardsToRead` say otherwise. */
  const policy = (rule: Partial<SnapshotRefreshPolicy>): SnapshotRefreshPolicy => ({
    quietMs: 60_000,
    minShardsToRead: 1,
    minShareToRead: 0,
    busyShardsToRead: Number.POSITIVE_INFINITY,
    ...rule,
  });
  /** The index a start leaves: loaded and started. */
  const started = async (storage: IndexStorage, held: MessageSummary[], refresh?: SnapshotRefreshPolicy) => {
    const index = nextStart(storage, held, refresh);
    await index.load();
    index.start();
    return index;
  };
  const link = async (storage: IndexStorage) =>
    (await storage.adapter<{ snapshot: { id: string; changedShards: number[] } | null }>("state").read())
      ?.snapshot ?? null;

  /** `count` summaries as a clean close left them (shards and a snapshot), and a copy for a running index to hold. */
  async function closedWith(count: number) {
    const { storage, summaries } = fixture(count);
    const closing = nextStart(storage, summaries);
    for (const s of summaries) closing.markSequence(s.sequence);
    closing.markState();
    await closing.writeSnapshot();
    return { storage, summaries, held: structuredClone(summaries) };
  }

  /** A running index over three shards whose last clean close left a snapshot; shard 0 and 2 changed since. */
  async function runningSinceClose() {
    const { storage, held } = await closedWith(SHARD_SIZE * 2 + 10);
    const running = nextStart(storage, held);
    await running.load();
    held[0]!.read = true;
    held[SHARD_SIZE * 2]!.read = true;
    running.markSequence(held[0]!.sequence);
    running.markSequence(held[SHARD_SIZE * 2]!.sequence);
    await running.flush();
    return { storage, held, running };
  }

  it("is what a start after a crash loads, with only the shards written after it", async () => {
    const { storage, held, running } = await runningSinceClose();
    const before = await link(storage);
    expect(before?.changedShards).toEqual([0, 2]);

    await running.refreshSnapshot();
    const after = await link(storage);
    expect(after?.id).not.toBe(before?.id);
    expect(after?.changedShards).toEqual([]);
    // Shard 0's file lost by hand: only the new snapshot still has its change.
    await storage.remove("messages-000000");
    held[SHARD_SIZE]!.read = true; // shard 1 changes after the refresh, then the process is killed
    running.markSequence(held[SHARD_SIZE]!.sequence);
    await running.flush();

    expect((await link(storage))?.changedShards).toEqual([1]);
    const loaded = await nextStart(storage).load();
    expect(loaded.summaries).toEqual(held);
  });

  it("lists a change made while the file is written, so its shard wins over the snapshot", async () => {
    const { storage, held } = await runningSinceClose();
    let release = () => {};
    let writing = () => {};
    const written = new Promise<void>((resolve) => {
      writing = resolve;
    });
    const gated: IndexStorage = {
      ...storage,
      writeSnapshot: async (data) => {
        writing();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await storage.writeSnapshot(data);
      },
    };
    const running = nextStart(gated, held);
    await running.load();
    const refreshed = running.refreshSnapshot();
    await written; // the summaries are captured: read = false
    held[1]!.read = true;
    running.markSequence(held[1]!.sequence);
    const flushed = running.flush(); // queued behind the refresh
    release();
    await refreshed;
    await flushed;

    expect((await link(storage))?.changedShards).toEqual([0]);
    const loaded = await nextStart(storage).load();
    expect(loaded.summaries[1]!.read).toBe(true);
    expect(loaded.summaries).toEqual(held);
  });

  it("takes each frame's summaries as they are when it is written; a change between frames is listed, and its shard wins", async () => {
    const { storage, held } = await closedWith(4_500);
    let between = () => {};
    const gated: IndexStorage = {
      ...storage,
      // Runs `between` once the header and the first frame (summaries 1–2,000) are serialised.
      writeSnapshot: async (frames) => {
        const taken: Buffer[] = [];
        for (const frame of frames) {
          taken.push(frame);
          if (taken.length === 2) between();
        }
        await storage.writeSnapshot(taken);
      },
    };
    const running = nextStart(gated, held);
    await running.load();
    between = () => {
      held[0]!.read = true; // in the frame already serialised: the snapshot has it unread
      held[2_500]!.read = true; // in a frame still to come: the snapshot has it read
      const [removed] = held.splice(3_000, 1); // captured before: the snapshot still holds it
      for (const sequence of [1, 2_501, removed!.sequence]) running.markSequence(sequence);
    };
    await running.refreshSnapshot();
    await running.flush();

    expect((await link(storage))?.changedShards).toEqual([0, 10, 12]);
    // Each frame as it was when serialised: the first before the changes, the second after them.
    const [, first, second] = (await framesOf(storage)).map(
      (frame) => deserialize(frame) as MessageSummary[],
    );
    expect(first![0]!.read).toBe(false);
    expect(second![500]!.read).toBe(true);
    expect(second!.some((summary) => summary.sequence === 3_001)).toBe(true);
    // Shard 5's file lost by hand: the snapshot supplies it, so the snapshot was used.
    await storage.remove("messages-000005");
    const loaded = await nextStart(storage).load();
    expect(loaded.summaries).toHaveLength(4_499);
    expect(loaded.summaries).toEqual(held);
  });

  it("is replaced even when changes keep dirtying shards while its own flush writes them", async () => {
    const { storage, held } = await closedWith(SHARD_SIZE * 3);
    let during = () => {};
    const busy: IndexStorage = {
      ...storage,
      adapter<T>(name: string) {
        const inner = storage.adapter<T>(name);
        return {
          read: () => inner.read(),
          write: async (data: T) => {
            during();
            await inner.write(data);
          },
        };
      },
    };
    const running = nextStart(busy, held);
    await running.load();
    const first = (await link(storage))?.id;
    held[0]!.read = true;
    running.markSequence(held[0]!.sequence);
    // A change that lands while the refresh's own flush writes: shard 2 is dirty again after it.
    during = () => {
      during = () => {};
      held[SHARD_SIZE * 2]!.read = true;
      running.markSequence(held[SHARD_SIZE * 2]!.sequence);
    };
    await running.refreshSnapshot();
    expect((await link(storage))?.id).not.toBe(first);
    await running.flush();
    expect((await link(storage))?.changedShards).toEqual([2]);
    expect((await nextStart(storage).load()).summaries).toEqual(held);
  });

  it("is also written while changes keep coming, once a start would read the busy minimum of shards", async () => {
    vi.useFakeTimers();
    try {
      const { storage, held } = await closedWith(SHARD_SIZE * 12);
      const running = await started(storage, held, policy({ busyShardsToRead: 4 }));
      const first = (await link(storage))?.id;
      // A change every 100 ms, one shard after another: never quiet. Each flush lists its shard.
      for (let shard = 0; shard < 3; shard += 1) {
        held[shard * SHARD_SIZE]!.read = true;
        running.markSequence(held[shard * SHARD_SIZE]!.sequence);
        await vi.advanceTimersByTimeAsync(300);
      }
      expect((await link(storage))?.id).toBe(first); // three shards to read: below four
      held[3 * SHARD_SIZE]!.read = true;
      running.markSequence(held[3 * SHARD_SIZE]!.sequence);
      await vi.advanceTimersByTimeAsync(300); // the flush that lists the fourth, then the refresh
      const replaced = await link(storage);
      expect(replaced?.id).not.toBe(first);
      expect(replaced?.changedShards).toEqual([]);
      held[5 * SHARD_SIZE]!.read = true; // after it: listed against the new snapshot
      running.markSequence(held[5 * SHARD_SIZE]!.sequence);
      await vi.advanceTimersByTimeAsync(300);
      expect((await link(storage))?.changedShards).toEqual([5]);
      expect((await nextStart(storage).load()).summaries).toEqual(held);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is written once changes stop for the quiet spell and enough shards would be read", async () => {
    vi.useFakeTimers();
    try {
      const { storage, summaries } = fixture(SHARD_SIZE * 3);
      const running = await started(storage, summaries, policy({ quietMs: 1_000, minShardsToRead: 2 }));
      // A change every half second for three seconds: never quiet, so no snapshot.
      for (let i = 0; i < 6; i += 1) {
        running.markSequence(summaries[i * SHARD_SIZE * 0.4]!.sequence);
        await vi.advanceTimersByTimeAsync(500);
      }
      expect(await framesOf(storage)).toEqual([]);
      await vi.advanceTimersByTimeAsync(1_000);
      await running.flush();
      const first = await link(storage);
      expect(first?.changedShards).toEqual([]);

      // One shard changed since: below the minimum, the snapshot stays.
      summaries[0]!.read = true;
      running.markSequence(summaries[0]!.sequence);
      await vi.advanceTimersByTimeAsync(3_000);
      await running.flush();
      expect((await link(storage))?.id).toBe(first?.id);
      expect((await link(storage))?.changedShards).toEqual([0]);

      // A second one: replaced after the next quiet spell.
      summaries[SHARD_SIZE]!.read = true;
      running.markSequence(summaries[SHARD_SIZE]!.sequence);
      await vi.advanceTimersByTimeAsync(999);
      expect((await link(storage))?.id).toBe(first?.id);
      await vi.advanceTimersByTimeAsync(1);
      await running.flush();
      expect((await link(storage))?.id).not.toBe(first?.id);
      expect((await nextStart(storage).load()).summaries).toEqual(summaries);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is written at once by refreshIfBehind when enough shards would be read, and not below that", async () => {
    const { storage, summaries } = fixture(SHARD_SIZE * 3);
    const running = await started(storage, summaries, policy({ minShardsToRead: 4 }));
    running.refreshIfBehind(); // no snapshot: three shards to read, below four
    await running.flush();
    expect(await framesOf(storage)).toEqual([]);

    const behind = await started(storage, summaries, policy({ minShardsToRead: 3 }));
    behind.refreshIfBehind();
    await behind.flush();
    expect((await link(storage))?.changedShards).toEqual([]);
    expect((await nextStart(storage).load()).summaries).toEqual(summaries);
  });

  it("needs the share of all shards as well: a few changed shards of many do not pay for a new snapshot", async () => {
    const { storage, summaries } = fixture(SHARD_SIZE * 4);
    const running = await started(storage, summaries, policy({ minShareToRead: 0.5 }));
    running.refreshIfBehind(); // no snapshot yet: every shard would be read
    await running.flush();
    const first = await link(storage);
    expect(first?.changedShards).toEqual([]);

    summaries[0]!.read = true;
    running.markSequence(summaries[0]!.sequence);
    running.refreshIfBehind(); // one shard of four: below half
    await running.flush();
    expect((await link(storage))?.id).toBe(first?.id);

    summaries[SHARD_SIZE * 3]!.read = true;
    running.markSequence(summaries[SHARD_SIZE * 3]!.sequence);
    running.refreshIfBehind(); // two of four
    await running.flush();
    expect((await link(storage))?.id).not.toBe(first?.id);
  });

  it("is not written after the close's own snapshot, nor without a policy", async () => {
    vi.useFakeTimers();
    try {
      const { storage, summaries } = fixture(SHARD_SIZE * 3);
      const without = await started(storage, summaries);
      for (const s of summaries) without.markSequence(s.sequence);
      await vi.advanceTimersByTimeAsync(60_000);
      await without.flush();
      expect(await framesOf(storage)).toEqual([]);

      const closing = await started(storage, summaries, policy({ quietMs: 1_000 }));
      closing.markSequence(1);
      await closing.writeSnapshot();
      const closed = await link(storage);
      await vi.advanceTimersByTimeAsync(5_000);
      await closing.flush();
      expect(await link(storage)).toEqual(closed);
    } finally {
      vi.useRealTimers();
    }
  });
});
