import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EventBus, EventOrigin, MailnestEventName } from "../../events/bus.js";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../../test-support/store-kit.js";

const kit = createPostgresStoreKit();
const localKit = createStoreKit();
afterEach(() => Promise.all([kit.cleanup(), localKit.cleanup()]));
afterAll(() => kit.dropDatabases());

/** How long a change may take to reach another instance (or a timer to fire) on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

/** Every store event on `bus` as "name subject-or-id origin", in order. */
function recordOrigins(bus: EventBus): string[] {
  const seen: string[] = [];
  for (const name of [
    "message.stored",
    "message.updated",
    "message.deleted",
    "inbox.created",
    "inbox.cleared",
    "inbox.deleted",
  ] as const satisfies readonly MailnestEventName[]) {
    bus.on(name, (event, { origin }) => {
      const what = "message" in event ? event.message.subject : "id" in event ? event.id : event.address;
      seen.push(`${name} ${what} ${origin}`);
    });
  }
  return seen;
}

async function twoInstances(options: { maxMessages?: number } = {}) {
  const database = await kit.database();
  const open = async () => {
    const instance = await kit.open(database.url, options);
    return { ...instance, seen: recordOrigins(instance.bus) };
  };
  return [await open(), await open()] as const;
}

function originsOf(seen: string[], name: MailnestEventName): EventOrigin[] {
  return seen
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.split(" ").at(-1) as EventOrigin);
}

describe("where a change was made, as each instance announces it", () => {
  it("mail stored through A is announced 'here' on A and 'elsewhere' on B, and the other way round", async () => {
    const [a, b] = await twoInstances();
    await ingestBuffer(a.store, testMessage({ subject: "via-a" }));
    await ingestBuffer(b.store, testMessage({ subject: "via-b" }));
    await expect.poll(() => [a.seen.length, b.seen.length], PROPAGATION).toEqual([2, 2]);

    expect([...a.seen].sort()).toEqual(["message.stored via-a here", "message.stored via-b elsewhere"]);
    expect([...b.seen].sort()).toEqual(["message.stored via-a elsewhere", "message.stored via-b here"]);
  });

  it("an API delete, a delete of everything, an inbox created, cleared and deleted: 'here' only where it was asked", async () => {
    const [a, b] = await twoInstances();
    const kept = await ingestBuffer(
      a.store,
      testMessage({ subject: "kept" }),
      testEnvelope({ rcptTo: ["team@mailnest.test", "other@mailnest.test"] }),
    );
    const gone = await ingestBuffer(a.store, testMessage({ subject: "gone" }));
    await expect.poll(() => b.store.head, PROPAGATION).toBe(2);
    a.seen.length = 0;
    b.seen.length = 0;

    expect(await b.store.deleteMessage(gone.id)).toBe(true);
    b.store.createInbox("fresh@mailnest.test");
    expect(await b.store.clearInbox("team@mailnest.test")).toBe(1);
    expect(await b.store.deleteInbox("fresh@mailnest.test")).toBe(true);
    expect(await b.store.deleteAll()).toBe(1);
    const expected = (origin: EventOrigin) => [
      `message.deleted ${gone.id} ${origin}`,
      `inbox.created fresh@mailnest.test ${origin}`,
      `message.updated kept ${origin}`,
      `inbox.cleared team@mailnest.test ${origin}`,
      `inbox.cleared fresh@mailnest.test ${origin}`,
      `inbox.deleted fresh@mailnest.test ${origin}`,
      `message.deleted ${kept.id} ${origin}`,
    ];
    expect(b.seen).toEqual(expected("here"));
    // A reads an `updated` message's row when it applies the change: if it applies the clear and the
    // delete of everything in one pull, "kept" is gone by then and its update is not announced.
    const last = `message.deleted ${kept.id} elsewhere`;
    await expect.poll(() => a.seen.at(-1), PROPAGATION).toBe(last);
    const notUpdated = (line: string) => !line.startsWith("message.updated ");
    expect(a.seen.filter(notUpdated)).toEqual(expected("elsewhere").filter(notUpdated));
    expect(a.seen.filter((line) => !line.endsWith(" elsewhere"))).toEqual([]);
  });

  it("retention run by one instance is announced 'here' there and 'elsewhere' on the other: each pruned message once 'here' in all", async () => {
    const [a, b] = await twoInstances({ maxMessages: 2 });
    for (let i = 1; i <= 5; i++) {
      await ingestBuffer(i % 2 === 0 ? a.store : b.store, testMessage({ subject: `m${i}` }));
    }
    await expect
      .poll(() => [a.store.messageCount, b.store.messageCount, a.store.head, b.store.head], PROPAGATION)
      .toEqual([2, 2, 5, 5]);
    await expect
      .poll(() => [originsOf(a.seen, "message.deleted").length, originsOf(b.seen, "message.deleted").length])
      .toEqual([3, 3]);

    const here = [...originsOf(a.seen, "message.deleted"), ...originsOf(b.seen, "message.deleted")].filter(
      (origin) => origin === "here",
    );
    expect(here).toHaveLength(3);
    // Every deletion 'here' on one instance is 'elsewhere' on the other, line for line.
    const flip = (line: string) => line.replace(/ here$/, " elsewhere");
    const deletionsHere = [...a.seen, ...b.seen].filter(
      (line) => line.startsWith("message.deleted") && line.endsWith(" here"),
    );
    const deletionsElsewhere = [...a.seen, ...b.seen].filter(
      (line) => line.startsWith("message.deleted") && line.endsWith(" elsewhere"),
    );
    expect(deletionsHere.map(flip).sort()).toEqual(deletionsElsewhere.sort());
  });

  it("the local store announces everything 'here'", async () => {
    const { store, bus } = await localKit.open(null);
    const seen = recordOrigins(bus);
    const stored = await ingestBuffer(store, testMessage({ subject: "local" }));
    await store.clearInbox("user@mailnest.test");
    expect(seen).toEqual([
      "message.stored local here",
      `message.deleted ${stored.id} here`,
      "inbox.cleared user@mailnest.test here",
    ]);
  });
});
