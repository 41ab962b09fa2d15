import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { countingAppendFiles } from "../test-support/counted-syncs.js";
import { createStoreKit, ingestBuffer, testMessage } from "../test-support/store-kit.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("retention", () => {
  it("prunes the oldest messages, with their files, beyond maxMessages", async () => {
    const dataDir = await kit.tempDir();
    const { store, eventsNamed } = await kit.open(dataDir, { maxMessages: 3 });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await ingestBuffer(store, testMessage({ subject: `m${i}` }))).id);

    expect((await store.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["m5", "m4", "m3"]);
    expect(eventsNamed("message.deleted").map((event) => event.id)).toEqual(ids.slice(0, 2));
    await store.close();
    // Small messages live in segments; the pruned ones are tombstoned there and stay gone.
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    await rm(join(dataDir, "index"), { recursive: true });
    const { store: reopened } = await kit.open(dataDir, { maxMessages: 3 });
    expect((await reopened.list({ limit: 10 })).messages.map((m) => m.id)).toEqual(ids.slice(2).reverse());
    expect(await reopened.readRaw(ids[0]!)).toBeNull();
  });

  it("prunes messages older than maxAgeMs on a timer", async () => {
    const dataDir = await kit.tempDir();
    // Generous enough that a slow ingest on a loaded CI machine cannot outlast the age by itself.
    const { store } = await kit.open(dataDir, { maxAgeMs: 500 });
    await ingestBuffer(store, testMessage());
    expect(store.messageCount).toBe(1);
    await expect.poll(() => store.messageCount, { timeout: 5000, interval: 20 }).toBe(0);
    await store.close();
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
  });

  it("prunes expired messages at startup", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    await ingestBuffer(store, testMessage());
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { store: reopened } = await kit.open(dataDir, { maxAgeMs: 10 });
    expect(reopened.messageCount).toBe(0);
  });

  it("applies a lowered maxMessages at startup", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    for (let i = 1; i <= 4; i++) await ingestBuffer(store, testMessage({ subject: `m${i}` }));
    await store.close();
    const { store: reopened } = await kit.open(dataDir, { maxMessages: 2 });
    expect((await reopened.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["m4", "m3"]);
  });

  it("a message pruned at the cap costs no disk flush of its own: its tombstone rides the next message's", async () => {
    const flushes = { onLoop: 0, inPool: 0 };
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, {
      maxMessages: 2,
      fileStore: { openAppendFile: countingAppendFiles(flushes), deferredTombstoneMs: 60_000 },
    });
    for (let i = 1; i <= 12; i++) await ingestBuffer(store, testMessage({ subject: `m${i}` }));
    // One per message: ten were pruned, and before, each of those cost a second one.
    expect(flushes.onLoop + flushes.inPool).toBe(12);
    await store.close();
    // The close wrote the last one's tombstone: nothing pruned comes back, even from the segments alone.
    await rm(join(dataDir, "index"), { recursive: true });
    const { store: reopened } = await kit.open(dataDir, { maxMessages: 100 });
    expect((await reopened.list({ limit: 100 })).messages.map((m) => m.subject)).toEqual(["m12", "m11"]);
  });

  it("a crash before a pruned message's tombstone is written brings it back only until the start prunes it again", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, { maxMessages: 2, fileStore: { deferredTombstoneMs: 60_000 } });
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await ingestBuffer(store, testMessage({ subject: `m${i}` }))).id);
    expect(store.messageCount).toBe(2);
    const crashed = await kit.crashCopy(dataDir);

    // What the deferral allows: with the index gone, the segments still hold m1 whole.
    const withoutIndex = await kit.crashCopy(crashed);
    await rm(join(withoutIndex, "index"), { recursive: true });
    const { store: unlimited } = await kit.open(withoutIndex, { maxMessages: 100 });
    expect((await unlimited.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["m3", "m2", "m1"]);
    await unlimited.close();

    // What a restart at the same cap serves: m1 is pruned again before anything is read.
    await rm(join(crashed, "index"), { recursive: true });
    const { store: reopened, eventsNamed } = await kit.open(crashed, { maxMessages: 2 });
    expect((await reopened.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["m3", "m2"]);
    expect(await reopened.readRaw(ids[0]!)).toBeNull();
    expect(eventsNamed("message.deleted").map((event) => event.id)).toEqual([ids[0]]);
  });
});
