import { serialize } from "node:v8";
import type { Adapter } from "lowdb";
import { describe, expect, it, vi } from "vitest";
import { createMemoryIndexStorage, type IndexStorage } from "./index-storage.js";
import type { MessageSummary } from "./model.js";
import { type IndexState, PersistedIndex, SHARD_SIZE } from "./persisted-index.js";

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
    removeSnapshot: () => inner.removeSnapshot(),
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

function fixture(count: number) {
  const summaries = Array.from({ length: count }, (_, i) => summary(i + 1));
  const state: IndexState = { lastSequence: count, inboxes: [], messageCount: count };
  const storage = countingStorage();
  const persisted = new PersistedIndex(storage, {
    summariesInShard: (shard) =>
      summaries.filter((s) => s.sequence >= shard * SHARD_SIZE && s.sequence < (shard + 1) * SHARD_SIZE),
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

describe("PersistedIndex: the snapshot a clean close leaves", () => {
  /** A fresh index over the same storage, as the next start builds it. */
  const nextStart = (storage: IndexStorage) =>
    new PersistedIndex(storage, {
      summariesInShard: () => [],
      all: () => [],
      state: () => ({ lastSequence: 0, inboxes: [], messageCount: null }),
    });

  /** Three shards and the state on disk, the snapshot beside them, then one shard lost. */
  async function closedWithSnapshot() {
    const made = fixture(SHARD_SIZE * 2 + 10);
    for (const s of made.summaries) made.persisted.markSequence(s.sequence);
    made.persisted.markState();
    await made.persisted.writeSnapshot();
    // Only the snapshot still holds shard 1's summaries, which tells which source a load read.
    await made.storage.remove("messages-000001");
    return made;
  }

  it("is what the next start loads, and that start takes it: the one after reads the shards", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    expect(await storage.readSnapshot()).not.toBeNull();

    const first = await nextStart(storage).load();
    expect(first.summaries.map((s) => s.sequence)).toEqual(summaries.map((s) => s.sequence));
    expect(first.summaries[0]).toEqual(summaries[0]);
    expect(await storage.readSnapshot()).toBeNull();

    const second = await nextStart(storage).load();
    expect(second.summaries).toHaveLength(summaries.length - SHARD_SIZE);
  });

  it("is ignored (and removed) when state.json has moved on since it was written", async () => {
    const { storage, state, persisted, summaries } = await closedWithSnapshot();
    state.lastSequence += 1; // a message stored and deleted after the close, say
    persisted.markState();
    await persisted.flush();

    const loaded = await nextStart(storage).load();
    expect(loaded.summaries).toHaveLength(summaries.length - SHARD_SIZE);
    expect(await storage.readSnapshot()).toBeNull();
  });

  it("is ignored when damaged or not a snapshot of summaries", async () => {
    for (const damaged of [
      Buffer.from("not a V8 serialisation"),
      serialize({ format: 1, lastSequence: 510, messageCount: 510, summaries: ["junk"] }),
      serialize({ format: 99, lastSequence: 510, messageCount: 510, summaries: [] }),
    ]) {
      const { storage, summaries } = await closedWithSnapshot();
      await storage.writeSnapshot(damaged);
      const loaded = await nextStart(storage).load();
      expect(loaded.summaries).toHaveLength(summaries.length - SHARD_SIZE);
    }
  });

  it("is not written when a shard write failed: the shards are behind the index", async () => {
    const { storage, summaries } = fixture(SHARD_SIZE + 10);
    const failing: IndexStorage = {
      ...storage,
      adapter<T>(name: string): Adapter<T> {
        const inner = storage.adapter<T>(name);
        return {
          read: () => inner.read(),
          write: async (data: T) => {
            if (name === "messages-000001") throw new Error("disk full");
            await inner.write(data);
          },
        };
      },
    };
    const persisted = new PersistedIndex(failing, {
      summariesInShard: (shard) =>
        summaries.filter((s) => s.sequence >= shard * SHARD_SIZE && s.sequence < (shard + 1) * SHARD_SIZE),
      all: () => summaries,
      state: () => ({ lastSequence: summaries.length, inboxes: [], messageCount: summaries.length }),
    });
    for (const s of summaries) persisted.markSequence(s.sequence);
    persisted.markState();
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await persisted.writeSnapshot();
    } finally {
      quiet.mockRestore();
    }
    expect(await storage.readSnapshot()).toBeNull();
  });
});
