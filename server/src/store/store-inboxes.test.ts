import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createStoreKit,
  ingestBuffer,
  STORE_BACKENDS,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";
import { scanSegment } from "./segment-file-scan.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

const threeRecipients = testEnvelope({
  rcptTo: ["To@Mailnest.test", "cc@mailnest.test", "hidden@mailnest.test", "to@mailnest.test"],
});

describe.each(STORE_BACKENDS)("inboxes (%s)", (backend) => {
  it("clearing one inbox keeps the message in the other inboxes", async () => {
    const { store, eventsNamed } = await kit.openBackend(backend);
    const stored = await ingestBuffer(store, testMessage(), threeRecipients);
    expect(await store.clearInbox("hidden@mailnest.test")).toBe(1);

    expect(store.summary(stored.id)?.inboxes).toEqual(["to@mailnest.test", "cc@mailnest.test"]);
    expect(store.getInbox("hidden@mailnest.test")).toBeNull();
    expect(store.getInbox("to@mailnest.test")?.messageCount).toBe(1);
    expect((await store.get(stored.id))?.inboxes).toEqual(["to@mailnest.test", "cc@mailnest.test"]);
    expect(eventsNamed("message.deleted")).toEqual([]);
    expect(eventsNamed("inbox.cleared")).toEqual([{ address: "hidden@mailnest.test" }]);
  });

  it("createInbox lists an empty inbox before mail arrives and keeps it listed after a clear", async () => {
    const { store, eventsNamed } = await kit.openBackend(backend);
    const created = store.createInbox(" <Signup-1@Mailnest.test> ");
    expect(created).toMatchObject({ address: "signup-1@mailnest.test", messageCount: 0, expiresAt: null });
    expect(store.listInboxes().map((inbox) => inbox.address)).toEqual(["signup-1@mailnest.test"]);
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo: ["signup-1@mailnest.test"] }));
    expect(store.getInbox("signup-1@mailnest.test")?.messageCount).toBe(1);
    await store.clearInbox("signup-1@mailnest.test");
    expect(store.getInbox("signup-1@mailnest.test")?.messageCount).toBe(0);
    expect(eventsNamed("inbox.created")).toEqual([{ address: "signup-1@mailnest.test" }]);
  });

  it("an inbox that was never created disappears once it is empty", async () => {
    const { store } = await kit.openBackend(backend);
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo: ["adhoc@x.test"] }));
    expect(store.getInbox("adhoc@x.test")?.messageCount).toBe(1);
    await store.clearInbox("adhoc@x.test");
    expect(store.getInbox("adhoc@x.test")).toBeNull();
  });

  it("deleteInbox clears and forgets a created inbox", async () => {
    const { store, eventsNamed } = await kit.openBackend(backend);
    store.createInbox("gone@x.test");
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo: ["gone@x.test"] }));
    expect(await store.deleteInbox("GONE@x.test")).toBe(true);
    expect(store.getInbox("gone@x.test")).toBeNull();
    expect(store.messageCount).toBe(0);
    expect(await store.deleteInbox("gone@x.test")).toBe(false);
    expect(eventsNamed("inbox.deleted")).toEqual([{ address: "gone@x.test" }]);
  });

  it("an inbox created with a TTL is deleted with its mail when the TTL runs out", async () => {
    const { store, eventsNamed } = await kit.openBackend(backend);
    // Mail first, TTL second: under load an ingest can outlast a short TTL, and mail arriving after
    // the expiry would (rightly) bring the inbox back.
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo: ["short@x.test"] }));
    const created = store.createInbox("short@x.test", { ttlMs: 50 });
    expect(created.expiresAt).not.toBeNull();
    await expect.poll(() => store.getInbox("short@x.test"), { timeout: 2000, interval: 10 }).toBeNull();
    expect(store.messageCount).toBe(0);
    expect(eventsNamed("inbox.deleted")).toEqual([{ address: "short@x.test" }]);
  });

  it("rejects a TTL that is not a positive number", async () => {
    const { store } = await kit.openBackend(backend);
    expect(() => store.createInbox("x@x.test", { ttlMs: 0 })).toThrow(TypeError);
    expect(() => store.createInbox("x@x.test", { ttlMs: Number.NaN })).toThrow(TypeError);
  });

  it("tracks read flags per message and unread counts per inbox", async () => {
    const { store, eventsNamed } = await kit.openBackend(backend);
    const rcptTo = ["r@x.test"];
    const first = await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo }));
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo: ["r@x.test", "other@x.test"] }));
    expect((await store.setRead(first.id, true))?.read).toBe(true);
    expect(store.getInbox("r@x.test")?.unreadCount).toBe(1);
    expect(await store.setRead(first.id, true)).not.toBeNull();
    expect(eventsNamed("message.updated")).toHaveLength(1);

    expect(await store.setInboxRead("r@x.test", true)).toBe(1);
    expect(store.getInbox("r@x.test")?.unreadCount).toBe(0);
    expect(store.getInbox("other@x.test")?.unreadCount).toBe(0);
    expect(await store.setInboxRead(null, false)).toBe(2);
    expect(store.getInbox("r@x.test")?.unreadCount).toBe(2);
    expect(await store.setRead("0".repeat(26), true)).toBeNull();
  });
});

describe("inboxes on disk", () => {
  it("a message to three recipients (one only Bcc) is stored once and listed in all three inboxes", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const raw = testMessage({ to: "to@mailnest.test", cc: "cc@mailnest.test" });
    const stored = await ingestBuffer(store, raw, threeRecipients);

    expect(stored.inboxes).toEqual(["to@mailnest.test", "cc@mailnest.test", "hidden@mailnest.test"]);
    for (const inbox of stored.inboxes) {
      expect((await store.list({ limit: 10, inbox })).messages.map((m) => m.id)).toEqual([stored.id]);
      expect(store.getInbox(inbox)).toMatchObject({ messageCount: 1, unreadCount: 1 });
    }
    // One record in one segment, no file of its own.
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    const segments = await readdir(join(dataDir, "segments"));
    const records = scanSegment(await readFile(join(dataDir, "segments", segments[0]!))).positions;
    expect(segments).toHaveLength(1);
    expect(records.map((record) => [record.kind, record.id])).toEqual([["message", stored.id]]);
    expect(store.messageCount).toBe(1);
  });

  it("deletes the message and its files once the last inbox listing it is cleared", async () => {
    const dataDir = await kit.tempDir();
    const { store, eventsNamed } = await kit.open(dataDir);
    const stored = await ingestBuffer(
      store,
      testMessage(),
      testEnvelope({ rcptTo: ["a@x.test", "b@x.test"] }),
    );
    await store.clearInbox("a@x.test");
    await store.clearInbox("b@x.test");
    expect(store.summary(stored.id)).toBeNull();
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    expect(eventsNamed("message.deleted")).toEqual([{ id: stored.id, inboxes: ["b@x.test"] }]);
  });

  it("deleteMessage and deleteAll remove messages, files and announce it", async () => {
    const dataDir = await kit.tempDir();
    const { store, eventsNamed } = await kit.open(dataDir);
    const first = await ingestBuffer(store, testMessage());
    await ingestBuffer(store, testMessage());
    await ingestBuffer(store, testMessage());
    expect(await store.deleteMessage(first.id)).toBe(true);
    expect(await store.deleteMessage(first.id)).toBe(false);
    expect(await store.deleteAll()).toBe(2);
    expect(store.messageCount).toBe(0);
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    expect(eventsNamed("message.deleted")).toHaveLength(3);
    expect(store.listInboxes()).toEqual([]);
  });
});
