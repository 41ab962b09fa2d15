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

/** The same storage, with writes of the documents `fails` names throwing "disk full". */
function failingWrites(storage: IndexStorage, fails: (name: string) => boolean): IndexStorage {
  return {
    ...storage,
    adapter<T>(name: string): Adapter<T> {
      const inner = storage.adapter<T>(name);
      return {
        read: () => inner.read(),
        write: async (data: T) => {
          if (fails(name)) throw new Error("disk full");
          await inner.write(data);
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
      serialize({ format: 2, id: "another", summaries: [] }),
      Buffer.from("not a V8 serialisation"),
      serialize({ format: 99, id: "x", summaries: [] }),
    ]) {
      const { storage, summaries } = await closedWithSnapshot();
      await storage.writeSnapshot(replacement);
      const loaded = await nextStart(storage).load();
      expect(loaded.summaries).toHaveLength(summaries.length - SHARD_SIZE);
    }
  });

  it("is ignored when one of its entries is not a summary", async () => {
    const { storage, summaries } = await closedWithSnapshot();
    const state = await storage.adapter<{ snapshot: { id: string } }>("state").read();
    await storage.writeSnapshot(serialize({ format: 2, id: state!.snapshot.id, summaries: ["junk"] }));
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
    await withoutErrorLog(() => persisted.writeSnapshot());
    expect(await storage.readSnapshot()).toBeNull();
  });
});
