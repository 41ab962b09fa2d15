import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../clock.js";
import { EventBus } from "../events/bus.js";
import { messageParser } from "../smtp/parse-message.js";
import { failingWrites } from "../test-support/failing-index-storage.js";
import {
  createStoreKit,
  ingestBuffer,
  readAll,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";
import { createFileBlobStore } from "./file-blob-store.js";
import { createFileIndexStorage } from "./index-storage.js";
import { openLocalStore, searchTextReady } from "./local-message-store.js";
import type { MessageStore } from "./message-store.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/**
 * The layout of stores written before messages moved into segments, and of messages over the buffer
 * limit today: an `.eml` and a sidecar file per message. Tests that remove one of those files by hand
 * write in it (and reopen with segments on, as an upgraded server does).
 */
const FILES_LAYOUT = { fileStore: { messageSegments: false } };

async function storeWithThreeMessages(options: { fileStore?: { messageSegments: boolean } } = {}) {
  const dataDir = await kit.tempDir();
  const { store } = await kit.open(dataDir, options);
  const ids: string[] = [];
  for (const subject of ["one", "two", "three"]) {
    const to = `${subject}@mailnest.test`;
    ids.push((await ingestBuffer(store, testMessage({ subject, to }), testEnvelope({ rcptTo: [to] }))).id);
  }
  return { dataDir, store, ids };
}

const subjects = async (store: {
  list: (q: { limit: number }) => Promise<{ messages: { subject: string }[] }>;
}) => (await store.list({ limit: 50 })).messages.map((message) => message.subject);

/** What `state.json` says of the summaries snapshot, or undefined when it names none (or is not there yet). */
async function snapshotLink(dataDir: string): Promise<{ changedShards: number[] } | undefined> {
  const text = await readFile(join(dataDir, "index", "state.json"), "utf8").catch(() => "{}");
  return (JSON.parse(text) as { snapshot?: { changedShards: number[] } | null }).snapshot ?? undefined;
}

/** Until `dataDir`'s state names a snapshot with no shard changed since (a refresh), for at most 10 s. */
async function refreshed(dataDir: string): Promise<void> {
  for (
    let waited = 0;
    (await snapshotLink(dataDir))?.changedShards.length !== 0 && waited < 10_000;
    waited += 50
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("restart", () => {
  it("keeps messages, sequences, read flags and created inboxes", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages();
    await store.setRead(ids[1]!, true);
    store.createInbox("Empty@Mailnest.test", { ttlMs: 3_600_000 });
    await store.close();

    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
    expect((await reopened.list({ limit: 50 })).messages.map((m) => m.sequence)).toEqual([3, 2, 1]);
    expect(reopened.head).toBe(3);
    expect(reopened.summary(ids[1]!)?.read).toBe(true);
    expect(reopened.summary(ids[0]!)?.read).toBe(false);
    const empty = reopened.getInbox("empty@mailnest.test");
    expect(empty).toMatchObject({ messageCount: 0, address: "empty@mailnest.test" });
    expect(empty?.expiresAt).not.toBeNull();
    expect(
      (await reopened.ingest(readableOf(testMessage()), testEnvelope(), { maxSize: 1e6 })).sequence,
    ).toBe(4);
  });

  it.each([
    ["a clean close", false],
    ["a kill -9", true],
  ])("a copy sent again after %s is still marked a duplicate of the first", async (_, crash) => {
    const { dataDir, store, ids } = await storeWithThreeMessages();
    const reopenFrom = crash ? await kit.crashCopy(dataDir) : dataDir;
    await store.close();

    const { store: reopened } = await kit.open(reopenFrom);
    const again = await ingestBuffer(
      reopened,
      testMessage({ subject: "two", to: "two@mailnest.test" }),
      testEnvelope({ rcptTo: ["two@mailnest.test"] }),
    );
    expect(again.duplicateOf).toBe(ids[1]);
    // The same bytes to another envelope repeat nothing.
    const elsewhere = await ingestBuffer(
      reopened,
      testMessage({ subject: "two", to: "two@mailnest.test" }),
      testEnvelope({ rcptTo: ["other@mailnest.test"] }),
    );
    expect(elsewhere.duplicateOf).toBeNull();
  });

  it.each([
    ["a clean close", "close"],
    ["a kill -9", "crash"],
    ["losing the search text, where the snippets live", "no search text"],
  ] as const)(
    "serves every snippet after %s, before and after the search text has loaded",
    async (_, how) => {
      const dataDir = await kit.tempDir();
      const { store } = await kit.open(dataDir);
      const texts = ["First   message\r\nbody", "Zweite Nachricht: Grüße 😀", ""];
      for (const text of texts) await ingestBuffer(store, testMessage({ text }));
      const expected = (await store.list({ limit: 50 })).messages.map((message) => message.snippet);
      expect(expected).toEqual(["", "Zweite Nachricht: Grüße 😀", "First message body"]);
      const reopenFrom = how === "crash" ? await kit.crashCopy(dataDir) : dataDir;
      await store.close();
      if (how === "no search text") await rm(join(dataDir, "search"), { recursive: true, force: true });

      const { store: reopened } = await kit.open(reopenFrom);
      // What the index keeps in memory has none (nor does the snapshot it was loaded from).
      for (const { id } of (await reopened.list({ limit: 50 })).messages) {
        expect((reopened.summary(id) as { snippet?: string }).snippet).toBe("");
      }
      const snippets = async () =>
        (await reopened.list({ limit: 50 })).messages.map((message) => message.snippet);
      expect(await snippets()).toEqual(expected);
      await searchTextReady(reopened);
      expect(await snippets()).toEqual(expected);
      const id = (await reopened.list({ limit: 1 })).messages[0]!.id;
      expect((await reopened.setRead(id, true))?.snippet).toBe(expected[0]);
    },
  );

  it("never reuses sequences, even after every message was deleted", async () => {
    const { dataDir, store } = await storeWithThreeMessages();
    await store.deleteAll();
    await store.close();
    const { store: reopened } = await kit.open(dataDir);
    expect(reopened.head).toBe(3);
    expect((await ingestBuffer(reopened, testMessage())).sequence).toBe(4);
  });

  it("rebuilds a deleted index folder from the sidecars, keeping sequences and inboxes", async () => {
    const { dataDir, store } = await storeWithThreeMessages();
    await store.close();
    await rm(join(dataDir, "index"), { recursive: true });

    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
    expect((await reopened.list({ limit: 50 })).messages.map((m) => m.sequence)).toEqual([3, 2, 1]);
    expect(reopened.getInbox("two@mailnest.test")?.messageCount).toBe(1);
    await reopened.close();
    expect((await readdir(join(dataDir, "index"))).sort()).toEqual([
      "messages-000000.json",
      "state.json",
      "summaries.snapshot",
    ]);
  });

  it("a clean close leaves a summaries snapshot; a crash after a later change still sees the change", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages();
    await store.close();
    expect(await readdir(join(dataDir, "index"))).toContain("summaries.snapshot");

    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
    await reopened.setRead(ids[0]!, true);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the index's periodic flush
    // kill -9 now: the snapshot still says "unread"; the shard written since must win over it.
    const crashed = await kit.crashCopy(dataDir);
    const { store: afterCrash } = await kit.open(crashed);
    expect(afterCrash.summary(ids[0]!)?.read).toBe(true);
    expect(await subjects(afterCrash)).toEqual(["three", "two", "one"]);
    await afterCrash.close();
    await reopened.close();
  });

  it("a running store replaces its snapshot once quiet: a crash without any clean close keeps a read flag", async () => {
    const quick = {
      snapshotRefresh: { quietMs: 100, minShardsToRead: 1, minShareToRead: 0, busyShardsToRead: Infinity },
    };
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, quick);
    const ids: string[] = [];
    for (const subject of ["one", "two"]) {
      ids.push((await ingestBuffer(store, testMessage({ subject }), testEnvelope())).id);
    }
    await store.setRead(ids[1]!, true);
    await refreshed(dataDir);
    expect((await snapshotLink(dataDir))?.changedShards).toEqual([]);

    // kill -9, and the shard lost: only the snapshot written while running knows the read flag
    // (the sidecars in the segments bring the messages back, not the flag).
    const crashed = await kit.crashCopy(dataDir);
    await rm(join(crashed, "index", "messages-000000.json"));
    const { store: afterCrash } = await kit.open(crashed);
    expect(await subjects(afterCrash)).toEqual(["two", "one"]);
    expect(afterCrash.summary(ids[1]!)?.read).toBe(true);
    expect(afterCrash.summary(ids[0]!)?.read).toBe(false);
    await afterCrash.close();
    await store.close();
  });

  it("a start after a crash that read the shards leaves a snapshot for the next start", async () => {
    const never = {
      snapshotRefresh: {
        quietMs: 3_600_000,
        minShardsToRead: 1,
        minShareToRead: 0,
        busyShardsToRead: Infinity,
      },
    };
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, never);
    const { id } = await ingestBuffer(store, testMessage({ subject: "one" }), testEnvelope());
    await store.setRead(id, true);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the index's periodic flush
    const crashed = await kit.crashCopy(dataDir); // kill -9: no snapshot was ever written
    expect(await readdir(join(crashed, "index"))).toContain("state.json");
    expect(await snapshotLink(crashed)).toBeUndefined();

    const { store: afterCrash } = await kit.open(crashed, never);
    await refreshed(crashed);
    expect((await snapshotLink(crashed))?.changedShards).toEqual([]);
    expect(await readdir(join(crashed, "index"))).toContain("summaries.snapshot");
    expect(afterCrash.summary(id)?.read).toBe(true);
    await afterCrash.close();
    await store.close();
  });

  it("re-adds an .eml whose index entry is missing (crash before the index flush)", async () => {
    const { dataDir, store } = await storeWithThreeMessages();
    await store.close();
    // The state survives but the shard with the summaries is lost.
    await rm(join(dataDir, "index", "messages-000000.json"));
    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
    expect(reopened.head).toBe(3);
  });

  it("re-parses an .eml whose sidecar and index entry are gone, giving it a new sequence", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages(FILES_LAYOUT);
    const raw = await readAll(await store.readRaw(ids[0]!));
    await store.close();
    await rm(join(dataDir, "index"), { recursive: true });
    await rm(join(dataDir, "messages", `${ids[0]}.json`));

    const { store: reopened } = await kit.open(dataDir);
    const recovered = await reopened.get(ids[0]!);
    expect(recovered?.subject).toBe("one");
    expect(recovered?.sequence).toBe(4);
    expect(recovered?.inboxes).toEqual(["one@mailnest.test"]);
    expect(await readAll(await reopened.readRaw(ids[0]!))).toEqual(raw);
    expect(reopened.head).toBe(4);
  });

  it("serves a message whose sidecar vanished while running by re-parsing its .eml", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages(FILES_LAYOUT);
    await rm(join(dataDir, "messages", `${ids[2]}.json`));
    const message = await store.get(ids[2]!);
    expect(message?.subject).toBe("three");
    expect(message?.sequence).toBe(3);
    expect(message?.envelope.rcptTo).toEqual(["three@mailnest.test"]);
    expect((await readdir(join(dataDir, "messages"))).filter((name) => name.endsWith(".json"))).toHaveLength(
      3,
    );
  });

  it("drops index entries whose .eml is gone and removes orphan sidecars and temp files", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages(FILES_LAYOUT);
    await store.close();
    // What a crash leaves: no clean-shutdown marker, so the files are listed.
    await rm(join(dataDir, "clean-shutdown"));
    await rm(join(dataDir, "messages", `${ids[1]}.eml`));
    await writeFile(join(dataDir, "tmp", "abandoned.eml"), "half a message");

    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "one"]);
    expect(reopened.getInbox("two@mailnest.test")).toBeNull();
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    expect((await readdir(join(dataDir, "messages"))).some((name) => name.startsWith(ids[1]!))).toBe(false);
  });

  it("after a clean shutdown trusts the index and does not list the files; after a crash it does", async () => {
    const { dataDir, store, ids } = await storeWithThreeMessages();
    const raw = await readAll(await store.readRaw(ids[0]!));
    await store.close();
    expect(await readdir(dataDir)).toContain("clean-shutdown");
    // A message file the index does not know, put there while the store was stopped: only a listing
    // of messages/ can find it.
    const stray = "01jz4k8q3m2x7v9c0b5n6t1r8p";
    await writeFile(join(dataDir, "messages", `${stray}.eml`), raw);

    const { store: trusting } = await kit.open(dataDir);
    expect(trusting.messageCount).toBe(3);
    expect(trusting.summary(stray)).toBeNull();
    // Taken at startup: a crash of this run must not leave a marker behind.
    expect(await readdir(dataDir)).not.toContain("clean-shutdown");
    await trusting.close();

    await rm(join(dataDir, "clean-shutdown"));
    const { store: listing } = await kit.open(dataDir);
    expect(listing.messageCount).toBe(4);
    expect(listing.summary(stray)?.subject).toBe("one");
  });

  it("after a clean shutdown still lists the files when the index lost summaries since", async () => {
    const { dataDir, store } = await storeWithThreeMessages();
    await store.close();
    const shard = join(dataDir, "index", "messages-000000.json");
    const document = JSON.parse(await readFile(shard, "utf8")) as { messages: unknown[] };
    await writeFile(shard, JSON.stringify({ messages: document.messages.slice(1) }));

    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
  });

  it("ignores a corrupt index shard and rebuilds it", async () => {
    const { dataDir, store } = await storeWithThreeMessages();
    await store.close();
    await writeFile(join(dataDir, "index", "messages-000000.json"), "{ not json");
    const { store: reopened } = await kit.open(dataDir);
    expect(await subjects(reopened)).toEqual(["three", "two", "one"]);
  });

  it("keeps a cleared inbox cleared after the index is rebuilt", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const rcptTo = ["a@mailnest.test", "b@mailnest.test"];
    await ingestBuffer(store, testMessage(), testEnvelope({ rcptTo }));
    await store.clearInbox("a@mailnest.test");
    await store.close();
    await rm(join(dataDir, "index"), { recursive: true });

    const { store: reopened } = await kit.open(dataDir);
    expect(reopened.getInbox("a@mailnest.test")).toBeNull();
    expect(reopened.getInbox("b@mailnest.test")?.messageCount).toBe(1);
  });
});

function readableOf(bytes: Buffer) {
  return Readable.from([bytes]);
}

describe("a close after the index could not be written", () => {
  it("leaves no clean-shutdown marker, so the next start lists the files and hides no acknowledged message", async () => {
    const dataDir = await kit.tempDir();
    let failing = false;
    const open = async () => {
      // The same documents, with every write refused while `failing` (a full disk).
      const files = await createFileIndexStorage(join(dataDir, "index"));
      const indexStorage = failingWrites(files, () => failing);
      return openLocalStore({
        blobs: await createFileBlobStore(dataDir),
        indexStorage,
        parser: messageParser,
        bus: new EventBus(),
        policy: { maxMessages: 10_000, maxAgeMs: null },
        clock: systemClock,
      });
    };
    const ingest = (store: MessageStore, subject: string) =>
      ingestBuffer(
        store,
        testMessage({ subject, to: "ann@mailnest.test" }),
        testEnvelope({ rcptTo: ["ann@mailnest.test"] }),
      );

    const first = await open();
    const gone = await ingest(first, "deleted later");
    await ingest(first, "kept");
    await first.close();

    const second = await open();
    failing = true;
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const late = await ingest(second, "acknowledged while the index could not be written");
      await second.deleteMessage(gone.id);
      await second.close();
      expect(late.sequence).toBe(3);
    } finally {
      quiet.mockRestore();
      failing = false;
    }
    expect((await readdir(dataDir)).includes("clean-shutdown")).toBe(false);

    const third = await open();
    try {
      expect((await subjects(third)).sort()).toEqual([
        "acknowledged while the index could not be written",
        "kept",
      ]);
      expect(third.head).toBeGreaterThanOrEqual(3);
    } finally {
      await third.close();
    }
  });
});
