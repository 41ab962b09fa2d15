import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  chunked,
  createStoreKit,
  ingestBuffer,
  readAll,
  STORE_BACKENDS,
  sha256,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";

import { storedRawRange } from "../test-support/stored-raw.js";
import { IngestAbortedError, MessageTooLargeError, StorageFailedError } from "./errors.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe.each(STORE_BACKENDS)("message store (%s)", (backend) => {
  const open = () => kit.openBackend(backend);

  it("stores a message byte-exact and serves it back by id before ingest resolves", async () => {
    const { store, eventsNamed } = await open();
    const raw = testMessage({ subject: "Welcome", text: "Line one\r\n.dotted line\r\nend" });
    const stored = await ingestBuffer(store, raw);

    expect(stored.sha256).toBe(sha256(raw));
    expect(stored.size).toBe(raw.length);
    expect(stored.sequence).toBe(1);
    expect(store.head).toBe(1);
    expect(store.messageCount).toBe(1);
    expect(eventsNamed("message.stored").map((event) => event.message.id)).toEqual([stored.id]);

    const fetched = await store.get(stored.id);
    expect(fetched?.subject).toBe("Welcome");
    expect(fetched?.envelope.rcptTo).toEqual(["user@mailnest.test"]);
    expect(fetched?.text).toContain(".dotted line");
    expect(sha256(await readAll(await store.readRaw(stored.id)))).toBe(sha256(raw));
  });

  it("lists summaries newest first with cursor pagination", async () => {
    const { store } = await open();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await ingestBuffer(store, testMessage({ subject: `m${i}` }))).id);

    const first = await store.list({ limit: 2 });
    expect(first.messages.map((m) => m.subject)).toEqual(["m5", "m4"]);
    expect(first.head).toBe(5);
    const second = await store.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.messages.map((m) => m.subject)).toEqual(["m3", "m2"]);
    const last = await store.list({ limit: 2, cursor: second.nextCursor! });
    expect(last.messages.map((m) => m.subject)).toEqual(["m1"]);
    expect(last.nextCursor).toBeNull();
    expect(ids).toHaveLength(5);
  });

  it("returns null for unknown or malformed ids without touching storage", async () => {
    const { store } = await open();
    expect(await store.get("0".repeat(26))).toBeNull();
    expect(await store.get("../../etc/passwd")).toBeNull();
    expect(await store.readRaw("../x")).toBeNull();
    expect(await store.readAttachment("0".repeat(26), "a1")).toBeNull();
  });
});

describe("message store files", () => {
  it("keeps a small message in a segment under segments/, with no file of its own, and nothing in tmp/", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const raw = testMessage();
    const stored = await ingestBuffer(store, raw, testEnvelope());
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    const range = await storedRawRange(dataDir, stored.id);
    expect(range.path).toMatch(/segments[/\\]\d{12}\.seg$/);
    expect((await readFile(range.path)).subarray(range.start, range.start + range.length).equals(raw)).toBe(
      true,
    );
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
  });

  it("keeps a message over the buffer limit as its .eml and sidecar under messages/", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, { fileStore: { bufferLimit: 64 } });
    const stored = await ingestBuffer(store, testMessage(), testEnvelope());
    expect((await readdir(join(dataDir, "messages"))).sort()).toEqual([
      `${stored.id}.eml`,
      `${stored.id}.json`,
    ]);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
  });
});

describe("ingest failures leave nothing behind", () => {
  async function filesUnder(dataDir: string): Promise<string[]> {
    const messages = await readdir(join(dataDir, "messages")).catch(() => []);
    const tmp = await readdir(join(dataDir, "tmp")).catch(() => []);
    return [...messages, ...tmp];
  }

  it("rejects a message over maxSize with MessageTooLargeError after reading it to the end", async () => {
    const dataDir = await kit.tempDir();
    const { store, eventsNamed } = await kit.open(dataDir);
    const raw = testMessage({ text: "x".repeat(5000) });
    const stream = chunked(raw, 100);
    await expect(store.ingest(stream, testEnvelope(), { maxSize: 1000 })).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    expect(stream.readableEnded).toBe(true);
    expect(await filesUnder(dataDir)).toEqual([]);
    expect(store.messageCount).toBe(0);
    expect(store.head).toBe(0);
    expect(eventsNamed("message.stored")).toEqual([]);
  });

  it("keeps nothing when the client vanishes mid-DATA (stream destroyed)", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const stream = new PassThrough();
    const ingesting = store.ingest(stream, testEnvelope(), { maxSize: 1_000_000 });
    stream.write(Buffer.from("Subject: half\r\n\r\nfirst part"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.destroy();
    await expect(ingesting).rejects.toBeInstanceOf(IngestAbortedError);
    expect(await filesUnder(dataDir)).toEqual([]);
    expect((await store.list({ limit: 10 })).messages).toEqual([]);
  });

  it("keeps nothing when the raw stream errors", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const stream = new PassThrough();
    const ingesting = store.ingest(stream, testEnvelope(), { maxSize: 1_000_000 });
    stream.write(Buffer.from("Subject: half\r\n\r\n"));
    stream.destroy(new Error("ECONNRESET"));
    await expect(ingesting).rejects.toBeInstanceOf(IngestAbortedError);
    expect(await filesUnder(dataDir)).toEqual([]);
  });

  it("rejects with StorageFailedError and indexes nothing when a large message's temp folder cannot be written", async () => {
    const dataDir = await kit.tempDir();
    // Messages over the buffer limit stream to tmp/; this one is over a limit shrunk for the test.
    const { store } = await kit.open(dataDir, { fileStore: { bufferLimit: 64 } });
    await rm(join(dataDir, "tmp"), { recursive: true });
    await writeFile(join(dataDir, "tmp"), "a file where a folder must be");
    const stream = chunked(testMessage());
    await expect(store.ingest(stream, testEnvelope(), { maxSize: 1_000_000 })).rejects.toBeInstanceOf(
      StorageFailedError,
    );
    expect(stream.readableEnded).toBe(true);
    expect(store.messageCount).toBe(0);
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
  });

  it("rejects with StorageFailedError and cleans up when the commit of a large message into messages/ fails", async () => {
    const dataDir = await kit.tempDir();
    // Over the buffer limit (shrunk for the test): the message is committed by a rename into messages/.
    const { store } = await kit.open(dataDir, { fileStore: { bufferLimit: 64 } });
    await rename(join(dataDir, "messages"), join(dataDir, "elsewhere"));
    await writeFile(join(dataDir, "messages"), "a file where a folder must be");
    await expect(ingestBuffer(store, testMessage())).rejects.toBeInstanceOf(StorageFailedError);
    expect(store.messageCount).toBe(0);
    expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    expect(await readdir(join(dataDir, "elsewhere"))).toEqual([]);

    // The sequence given up by the failed commit does not block the next message.
    await rm(join(dataDir, "messages"));
    await rename(join(dataDir, "elsewhere"), join(dataDir, "messages"));
    const next = await ingestBuffer(store, testMessage());
    expect(store.summary(next.id)).not.toBeNull();
    expect(store.head).toBe(next.sequence);
  });

  it("stores unparseable MIME with a parseError and the raw bytes intact", async () => {
    const { store } = await kit.open(await kit.tempDir());
    const parts = Array.from({ length: 1005 }, () => "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n").join("");
    const raw = Buffer.from(
      `Subject: bomb\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`,
    );
    const stored = await ingestBuffer(store, raw);
    expect(stored.parseError).toMatch(/\S/);
    expect((await store.list({ limit: 5 })).messages.map((m) => m.id)).toEqual([stored.id]);
    expect((await store.get(stored.id))?.parseError).toBe(stored.parseError);
    expect(await readAll(await store.readRaw(stored.id))).toEqual(raw);
  });
});

describe.each(STORE_BACKENDS)("closing (%s)", (backend) => {
  it("refuses to ingest after close", async () => {
    const { store } = await kit.openBackend(backend);
    await store.close();
    await store.close();
    await expect(ingestBuffer(store, testMessage())).rejects.toBeInstanceOf(StorageFailedError);
  });
});

describe.each(STORE_BACKENDS)("concurrent ingest (%s)", (backend) => {
  it("makes messages visible in sequence order, so head never passes a message still committing", async () => {
    const { store, bus } = await kit.openBackend(backend);
    const seenAtStore: number[] = [];
    const countWhenAnnounced: number[] = [];
    bus.on("message.stored", ({ message }) => {
      seenAtStore.push(message.sequence);
      // Nothing is deleted here, so "every lower sequence is visible" means count === sequence.
      countWhenAnnounced.push(store.messageCount - message.sequence);
      expect(store.head).toBe(message.sequence);
    });
    const big = testMessage({ text: "y".repeat(2_000_000) });
    const results = await Promise.all([
      ingestBuffer(store, big),
      ...Array.from({ length: 20 }, (_, i) => ingestBuffer(store, testMessage({ subject: `s${i}` }))),
    ]);
    expect(seenAtStore).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(new Set(countWhenAnnounced)).toEqual(new Set([0]));
    expect(new Set(results.map((r) => r.sequence)).size).toBe(21);
    expect(store.head).toBe(21);
  });
});
