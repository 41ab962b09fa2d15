import { appendFile, readFile, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { EventBus } from "../events/bus.js";
import { messageParser } from "../smtp/parse-message.js";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";
import { createFileBlobStore } from "./file-blob-store.js";
import { createFileIndexStorage } from "./index-storage.js";
import { openLocalStore, searchTextReady } from "./local-message-store.js";
import { matchesVisibleText } from "./match-query.js";
import type { MessageQuery, MessageStore } from "./message-store.js";
import { createFileSearchTextStorage } from "./search-text-storage.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

const TEXTS = [
  "Your CODE is 482913",
  "Café CRÈME brûlée",
  "ΟΔΟΣ and Σίσυφος",
  "İstanbul DİYARBAKIR",
  "STRASSE Straße ẞig",
  "emoji 😀 party",
  "plain words only",
];
const NEEDLES = [
  "code is 482913",
  "CAFÉ",
  "crème",
  "οδος",
  "ς and",
  "İSTANBUL",
  "istanbul",
  "straße",
  "ß",
  "😀",
  "tom & jerry",
  "été",
  "<b>",
  "hidden-word",
  "o",
  "no such words",
  "\uFFFD",
];

/** The store on `dataDir`, counting the sidecars it reads (what a text query must not need). */
async function openCountingSidecarReads(
  dataDir: string,
  counts: { sidecarReads: number },
  backgroundWorkAfter?: Promise<void>,
): Promise<MessageStore> {
  const blobs = await createFileBlobStore(dataDir);
  return openLocalStore({
    blobs: {
      ...blobs,
      readSidecar(id) {
        counts.sidecarReads += 1;
        return blobs.readSidecar(id);
      },
    },
    indexStorage: await createFileIndexStorage(join(dataDir, "index")),
    searchTextStorage: await createFileSearchTextStorage(join(dataDir, "search")),
    clock: systemClock,
    parser: messageParser,
    bus: new EventBus(),
    policy: { maxMessages: 10_000, maxAgeMs: null },
    ...(backgroundWorkAfter ? { backgroundWorkAfter } : {}),
  });
}

/** A data directory holding the test messages, its store closed again. */
async function filledAndClosed(): Promise<string> {
  const dataDir = await kit.tempDir();
  const first = await kit.open(dataDir);
  await fill(first.store);
  await first.store.close();
  return dataDir;
}

async function fill(store: MessageStore): Promise<void> {
  for (const [position, text] of TEXTS.entries()) {
    await ingestBuffer(
      store,
      testMessage({ subject: `plain ${position}`, text }),
      testEnvelope({ rcptTo: [position % 2 === 0 ? "even@mailnest.test" : "odd@mailnest.test"] }),
    );
  }
  // HTML only: entities decoded into the visible text, markup and styles left out.
  const html = await new MailComposer({
    from: "news@app.test",
    to: "even@mailnest.test",
    subject: "entities",
    html: "<p>Tom &amp; Jerry &eacute;t&eacute; &lt;b&gt;</p><style>.hidden-word{}</style>",
  })
    .compile()
    .build();
  await ingestBuffer(store, html, testEnvelope({ rcptTo: ["even@mailnest.test"] }));
}

/** What the `text` filter means (match-query.ts), judged message by message on `get`. */
async function expectedIds(store: MessageStore, query: MessageQuery): Promise<string[]> {
  const { text, cursor: _cursor, ...rest } = query;
  const all = await store.list({ ...rest, limit: 500 });
  const ids: string[] = [];
  for (const summary of all.messages) {
    const message = await store.get(summary.id);
    if (message && matchesVisibleText(text!.toLowerCase(), message.visibleText)) ids.push(summary.id);
  }
  return ids;
}

/** Every page of a query, followed through its cursors. */
async function listedIds(store: MessageStore, query: MessageQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await store.list({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.messages.map((message) => message.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function expectSameAsDefinition(store: MessageStore): Promise<void> {
  for (const text of NEEDLES) {
    for (const query of [
      { limit: 50, text },
      { limit: 2, text },
      { limit: 1, text, inbox: "EVEN@mailnest.test" },
    ]) {
      expect(await listedIds(store, query), JSON.stringify(query)).toEqual(await expectedIds(store, query));
    }
  }
}

describe("text search over the search-text file", () => {
  it("finds exactly the messages whose visible text holds the needle, case-insensitively, page by page", async () => {
    const { store } = await kit.open(await kit.tempDir());
    await fill(store);
    expect((await store.list({ limit: 50, text: "tom & jerry" })).messages.map((m) => m.subject)).toEqual([
      "entities",
    ]);
    await expectSameAsDefinition(store);
  });

  it("does the same in memory (--in-memory)", async () => {
    const { store } = await kit.open(null);
    await fill(store);
    await expectSameAsDefinition(store);
  });

  it("never finds a deleted message, nor one whose only inbox was cleared", async () => {
    const { store } = await kit.open(await kit.tempDir());
    await fill(store);
    const [code] = (await store.list({ limit: 50, text: "482913" })).messages;
    expect(await store.deleteMessage(code!.id)).toBe(true);
    expect((await store.list({ limit: 50, text: "482913" })).messages).toEqual([]);
    await store.clearInbox("odd@mailnest.test");
    expect((await store.list({ limit: 50, text: "crème" })).messages).toEqual([]);
    await expectSameAsDefinition(store);
  });

  it("reads no sidecar for a text query once the search text is loaded, after a restart too", async () => {
    const dataDir = await filledAndClosed();
    const counts = { sidecarReads: 0 };
    const store = await openCountingSidecarReads(dataDir, counts);
    try {
      await searchTextReady(store);
      expect((await store.list({ limit: 50, text: "ΟΔΟΣ" })).messages).toHaveLength(1);
      expect((await store.list({ limit: 50, text: "nowhere at all" })).messages).toHaveLength(0);
      expect(counts.sidecarReads).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("waits for backgroundWorkAfter before loading, answers from sidecars meanwhile, and closes while waiting", async () => {
    const dataDir = await filledAndClosed();
    const counts = { sidecarReads: 0 };
    const open = (backgroundWorkAfter: Promise<void>) =>
      openCountingSidecarReads(dataDir, counts, backgroundWorkAfter);
    let start = () => {};
    const store = await open(
      new Promise<void>((resolve) => {
        start = resolve;
      }),
    );
    let loaded = false;
    const ready = searchTextReady(store).then(() => {
      loaded = true;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(loaded).toBe(false);
      // Not loaded yet: the same answers, read from the sidecars.
      await ingestBuffer(store, testMessage({ text: "arrived while waiting" }));
      expect((await store.list({ limit: 50, text: "ΟΔΟΣ" })).messages).toHaveLength(1);
      expect((await store.list({ limit: 50, text: "WHILE WAITING" })).messages).toHaveLength(1);
      expect(counts.sidecarReads).toBeGreaterThan(0);
      start();
      await ready;
      counts.sidecarReads = 0;
      expect((await store.list({ limit: 50, text: "while waiting" })).messages).toHaveLength(1);
      expect(counts.sidecarReads).toBe(0);
      await expectSameAsDefinition(store);
    } finally {
      await store.close();
    }
    // A store closed before its background work may start closes at once (startup failed, say).
    const never = await open(new Promise<void>(() => {}));
    await never.close();
  });

  it("keeps the file across a restart, unchanged", async () => {
    const dataDir = await filledAndClosed();
    const file = join(dataDir, "search", "text.bin");
    const before = await readFile(file);
    const { store } = await kit.open(dataDir);
    await searchTextReady(store);
    expect((await readFile(file)).equals(before)).toBe(true);
    await expectSameAsDefinition(store);
  });

  it("rebuilds the file from the sidecars when it was deleted", async () => {
    const dataDir = await filledAndClosed();
    const file = join(dataDir, "search", "text.bin");
    const before = await readFile(file);
    await rm(file);
    const { store } = await kit.open(dataDir);
    await searchTextReady(store);
    expect((await readFile(file)).equals(before)).toBe(true);
    await expectSameAsDefinition(store);
  });

  it("cuts a torn tail (a write cut short by kill -9 or a power cut) and rebuilds what it held", async () => {
    const dataDir = await filledAndClosed();
    const file = join(dataDir, "search", "text.bin");
    const before = await readFile(file);
    await truncate(file, before.length - 7);
    await appendFile(file, Buffer.alloc(30, 0xa5));
    const { store } = await kit.open(dataDir);
    await searchTextReady(store);
    expect((await readFile(file)).equals(before)).toBe(true);
    await expectSameAsDefinition(store);
    // New mail goes after the repaired records.
    await ingestBuffer(store, testMessage({ text: "after the repair" }));
    expect((await store.list({ limit: 50, text: "AFTER THE REPAIR" })).messages).toHaveLength(1);
  });

  it("drops the records of messages deleted while it was not looking (index and files agree without them)", async () => {
    const dataDir = await filledAndClosed();
    const size = (await stat(join(dataDir, "search", "text.bin"))).size;
    const { store: second } = await kit.open(dataDir);
    await searchTextReady(second);
    const [code] = (await second.list({ limit: 50, text: "482913" })).messages;
    await second.deleteMessage(code!.id);
    await second.close();
    const { store } = await kit.open(dataDir);
    await searchTextReady(store);
    expect((await store.list({ limit: 50, text: "482913" })).messages).toEqual([]);
    expect((await stat(join(dataDir, "search", "text.bin"))).size).toBe(size);
    await expectSameAsDefinition(store);
  });
});
