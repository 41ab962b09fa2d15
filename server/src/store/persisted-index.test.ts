import type { Adapter } from "lowdb";
import { describe, expect, it } from "vitest";
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
      state: () => ({ lastSequence: 0, inboxes: [], messageCount: null }),
    }).load();
    expect(loaded).toEqual({ summaries: [], state: { lastSequence: 0, inboxes: [], messageCount: null } });
  });
});
