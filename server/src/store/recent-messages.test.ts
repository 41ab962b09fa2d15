import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("the cache of recent messages", () => {
  it("serves a message just stored, and checks a text filter against it, without reading its sidecar", async () => {
    const { store, counts } = await kit.openCounting();
    const stored = await ingestBuffer(store, testMessage({ subject: "Welcome", text: "your code is 4711" }));

    const message = await store.get(stored.id);
    expect(message).toMatchObject({ id: stored.id, subject: "Welcome" });
    expect(message?.visibleText).toContain("4711");
    expect(await store.matches(message!, { text: "code is 4711" })).toBe(true);
    expect(counts.sidecarReads).toBe(0);
  });

  it("keeps only the newest messages: an older one is read from its sidecar", async () => {
    const { store, counts } = await kit.openCounting();
    const first = await ingestBuffer(store, testMessage({ subject: "first" }));
    for (let i = 0; i < 64; i++) await ingestBuffer(store, testMessage({ subject: `later ${i}` }));

    expect((await store.get(first.id))?.subject).toBe("first");
    expect(counts.sidecarReads).toBe(1);
  });

  it("serves nothing of a deleted message", async () => {
    const { store } = await kit.openCounting();
    const stored = await ingestBuffer(store, testMessage());
    await store.deleteMessage(stored.id);
    expect(await store.get(stored.id)).toBeNull();
  });

  it("hands out messages nobody can change for the next reader", async () => {
    const { store } = await kit.openCounting();
    const to = "ann@mailnest.test";
    const stored = await ingestBuffer(store, testMessage({ to }), testEnvelope({ rcptTo: [to] }));
    const message = await store.get(stored.id);
    expect(() => message?.headers.push({ key: "x-late", value: "edit" } as never)).toThrow(TypeError);
    expect((await store.get(stored.id))?.headers).toEqual(message?.headers);
    // Read flags are live (from the index), not frozen with the cached copy.
    await store.setRead(stored.id, true);
    expect((await store.get(stored.id))?.read).toBe(true);
  });
});
