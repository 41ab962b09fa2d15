import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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
});
