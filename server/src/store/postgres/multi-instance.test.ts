import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EventBus, MailnestEventName, MailnestEvents } from "../../events/bus.js";
import { createRetrievalModel } from "../../retrieval/retrieval-model.js";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { ingestBuffer, readAll, sha256, testEnvelope, testMessage } from "../../test-support/store-kit.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

/** Resolves with the next `name` event on `bus` that satisfies `test`. Subscribe before acting. */
function nextEvent<K extends MailnestEventName>(
  bus: EventBus,
  name: K,
  test: (event: MailnestEvents[K]) => boolean = () => true,
): Promise<MailnestEvents[K]> {
  return new Promise((resolve) => {
    const off = bus.on(name, (event) => {
      if (!test(event)) return;
      off();
      resolve(event);
    });
  });
}

async function twoInstances() {
  const database = await kit.database();
  return [await kit.open(database.url), await kit.open(database.url)] as const;
}

describe("two store instances on one database", () => {
  it("give IMAP one UIDVALIDITY, the database's, also to an instance started seconds later", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url);
    // In memory mode (no --data-dir, the usual way to run on PostgreSQL) a start used to take the
    // clock's second: two instances started in different seconds disagreed.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const b = await kit.open(database.url);
    const models = await Promise.all(
      [a, b].map(({ store, bus }) =>
        createRetrievalModel({ store, bus, dataDir: null, access: { catchAllLogin: "all", users: null } }),
      ),
    );
    const [onA, onB] = models.map((model) => model.uidValidity);
    for (const model of models) model.close();

    expect(a.store.sequenceEpoch).not.toBeNull();
    expect(onA).toBe(a.store.sequenceEpoch);
    expect(onB).toBe(onA);
    expect(Math.abs(onA! - Date.now() / 1000)).toBeLessThan(3_600);
  });

  it("mail stored through A is announced on B's bus and served by B byte for byte", async () => {
    const [a, b] = await twoInstances();
    const announced = nextEvent(b.bus, "message.stored");
    const raw = testMessage({ subject: "Cross-instance", text: "Sent to A" });
    const stored = await ingestBuffer(a.store, raw, testEnvelope({ rcptTo: ["shared@mailnest.test"] }));

    expect((await announced).message).toMatchObject({
      id: stored.id,
      sequence: 1,
      subject: "Cross-instance",
    });
    expect(b.store.head).toBe(1);
    expect(b.store.messageCount).toBe(1);
    expect(b.store.getInbox("shared@mailnest.test")).toMatchObject({ messageCount: 1, unreadCount: 1 });
    expect((await b.store.get(stored.id))?.text).toContain("Sent to A");
    expect(sha256(await readAll(await b.store.readRaw(stored.id)))).toBe(sha256(raw));
    expect(
      (await b.store.list({ limit: 5, inbox: "shared@mailnest.test" })).messages.map((m) => m.id),
    ).toEqual([stored.id]);
  });

  it("a read flag set on A is seen on B, and a message deleted on B is gone on A", async () => {
    const [a, b] = await twoInstances();
    const storedOnB = nextEvent(b.bus, "message.stored");
    const stored = await ingestBuffer(a.store, testMessage());
    await storedOnB;

    const updatedOnB = nextEvent(b.bus, "message.updated");
    expect((await a.store.setRead(stored.id, true))?.read).toBe(true);
    expect((await updatedOnB).message).toMatchObject({ id: stored.id, read: true });
    expect(b.store.summary(stored.id)?.read).toBe(true);
    expect(b.store.getInbox("user@mailnest.test")?.unreadCount).toBe(0);

    const deletedOnA = nextEvent(a.bus, "message.deleted");
    expect(await b.store.deleteMessage(stored.id)).toBe(true);
    expect(await deletedOnA).toEqual({ id: stored.id, inboxes: ["user@mailnest.test"] });
    expect(a.store.summary(stored.id)).toBeNull();
    expect(await a.store.get(stored.id)).toBeNull();
    expect(await a.store.readRaw(stored.id)).toBeNull();
    expect(a.store.messageCount).toBe(0);
    // Deleting again anywhere finds nothing.
    expect(await a.store.deleteMessage(stored.id)).toBe(false);
  });

  it("an inbox created on A is listed on B; clearing it on B takes it off the message on A; deleting it on A forgets it on B", async () => {
    const [a, b] = await twoInstances();
    const createdOnB = nextEvent(b.bus, "inbox.created");
    expect(a.store.createInbox("Team@Mailnest.test")).toMatchObject({
      address: "team@mailnest.test",
      messageCount: 0,
    });
    expect(await createdOnB).toEqual({ address: "team@mailnest.test" });
    expect(b.store.getInbox("team@mailnest.test")).toMatchObject({ messageCount: 0 });

    const storedOnA = nextEvent(a.bus, "message.stored");
    const stored = await ingestBuffer(
      b.store,
      testMessage(),
      testEnvelope({ rcptTo: ["team@mailnest.test", "other@mailnest.test"] }),
    );
    await storedOnA;

    const updatedOnA = nextEvent(a.bus, "message.updated");
    const clearedOnA = nextEvent(a.bus, "inbox.cleared");
    expect(await b.store.clearInbox("team@mailnest.test")).toBe(1);
    expect((await updatedOnA).message.inboxes).toEqual(["other@mailnest.test"]);
    expect(await clearedOnA).toEqual({ address: "team@mailnest.test" });
    expect(a.store.summary(stored.id)?.inboxes).toEqual(["other@mailnest.test"]);
    expect(a.store.getInbox("team@mailnest.test")).toMatchObject({ messageCount: 0 });

    const deletedOnB = nextEvent(b.bus, "inbox.deleted");
    expect(await a.store.deleteInbox("team@mailnest.test")).toBe(true);
    expect(await deletedOnB).toEqual({ address: "team@mailnest.test" });
    expect(b.store.getInbox("team@mailnest.test")).toBeNull();
    expect(b.store.listInboxes().map((inbox) => inbox.address)).toEqual(["other@mailnest.test"]);
  });

  it("an instance opened later loads what the others stored, read flags and created inboxes included", async () => {
    const database = await kit.database();
    const first = await kit.open(database.url);
    const one = await ingestBuffer(first.store, testMessage({ subject: "one" }));
    await ingestBuffer(first.store, testMessage({ subject: "two" }));
    await first.store.setRead(one.id, true);
    first.store.createInbox("empty@mailnest.test");
    await first.store.close();

    const later = await kit.open(database.url);
    expect(later.store.head).toBe(2);
    expect((await later.store.list({ limit: 5 })).messages.map((m) => [m.subject, m.read])).toEqual([
      ["two", false],
      ["one", true],
    ]);
    expect(later.store.getInbox("empty@mailnest.test")).toMatchObject({ messageCount: 0 });
    expect(later.events).toEqual([]);
  });

  it("a text search on B finds the bodies A stored (checked in PostgreSQL first), NUL characters included", async () => {
    const [a, b] = await twoInstances();
    const bodies = ["Your code is 123456", "Reset link inside", "with a NUL\u0000inside", "İSTANBUL straße"];
    const ids: string[] = [];
    for (const text of bodies) ids.push((await ingestBuffer(a.store, testMessage({ text }))).id);
    const lastOnB = nextEvent(b.bus, "message.stored", (event) => event.message.id === ids.at(-1));
    if (b.store.summary(ids.at(-1)!) === null) await lastOnB;

    const search = async (text: string) =>
      (await b.store.list({ limit: 10, text })).messages.map((m) => m.id);
    expect(await search("CODE is 123")).toEqual([ids[0]]);
    expect(await search("nul\u0000in")).toEqual([ids[2]]);
    expect(await search("İstanbul")).toEqual([ids[3]]);
    expect(await search("straße")).toEqual([ids[3]]);
    expect(await search("nowhere to be found")).toEqual([]);
    expect(await search("i")).toEqual([...ids].reverse());
    // A wait's filter check on B reads the same way.
    const second = (await b.store.get(ids[1]!))!;
    expect(await b.store.matches(second, { text: "reset LINK" })).toBe(true);
    expect(await b.store.matches(second, { text: "code" })).toBe(false);
  });

  it("a second copy of a message stored through another instance is marked duplicateOf the first", async () => {
    const [a, b] = await twoInstances();
    const raw = testMessage({ subject: "Once" });
    const storedOnB = nextEvent(b.bus, "message.stored");
    const first = await ingestBuffer(a.store, raw);
    await storedOnB;
    const second = await ingestBuffer(b.store, raw);
    expect(second.duplicateOf).toBe(first.id);
  });
});
