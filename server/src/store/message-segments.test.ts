import { appendFile, cp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { countingAppendFiles } from "../test-support/counted-syncs.js";
import {
  createStoreKit,
  ingestBuffer,
  readAll,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";
import { storedRawRange } from "../test-support/stored-raw.js";
import { type AppendFile, openAppendFile } from "./append-file.js";
import { StorageFailedError } from "./errors.js";
import type { FileBlobStoreOptions } from "./file-blob-store.js";
import { MessageSegments } from "./message-segments.js";
import { RecordStaging } from "./record-staging.js";
import { scanSegment } from "./segment-file-scan.js";
import { decodeSegmentSnapshot } from "./segment-snapshot.js";
import { encodeMessageRecord, encodeMessageRecordInto } from "./wal-record.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** A few small messages per segment, so tests see rotation and compaction. */
const SMALL_SEGMENTS: FileBlobStoreOptions = { messageSegmentBytes: 4 * 1024 };

async function segmentNames(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, "segments"))).filter((name) => name.endsWith(".seg")).sort();
}

async function ingestMany(
  store: Awaited<ReturnType<typeof kit.open>>["store"],
  count: number,
): Promise<{ id: string; raw: Buffer }[]> {
  const sent: { id: string; raw: Buffer }[] = [];
  for (let n = 0; n < count; n++) {
    const to = `user-${n}@mailnest.test`;
    const raw = testMessage({ subject: `message ${n}`, to, text: `Body ${n} `.repeat(20) });
    sent.push({ id: (await ingestBuffer(store, raw, testEnvelope({ rcptTo: [to] }))).id, raw });
  }
  return sent;
}

/** Records of a kind (`wal-record.ts`: magic, then the kind byte after the frame header) among chunks. */
function framesOfKind(chunks: Buffer[], kind: 1 | 2): number {
  return chunks.filter(
    (chunk) => chunk.length > 12 && chunk.readUInt32BE(0) === 0x4d4e574c && chunk[12] === kind,
  ).length;
}

/**
 * Wraps the real segment files so a test can hold the fdatasync of compaction's copies (the bytes
 * are written, not yet durable: what a kill -9 at that moment finds) or fail the next fdatasync.
 * Copies are the only message records appended while a test only deletes.
 */
function appendFileGate() {
  let holdCopies = false;
  let copyWritten = false;
  let tombstones = 0;
  let failNext = false;
  let release: () => void = () => {};
  let held: () => void = () => {};
  const isHeld = new Promise<void>((resolve) => {
    held = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    holdCopies() {
      holdCopies = true;
    },
    failNextDatasync() {
      failNext = true;
    },
    isHeld,
    tombstonesWritten: () => tombstones,
    release: () => release(),
    async openAppendFile(path: string): Promise<AppendFile> {
      const file = await openAppendFile(path);
      return {
        append(chunks) {
          // Ingest's records look the same: only those appended once the test holds copies count.
          if (holdCopies && framesOfKind(chunks, 1) > 0) copyWritten = true;
          tombstones += framesOfKind(chunks, 2);
          return file.append(chunks);
        },
        close: () => file.close(),
        async datasync() {
          if (failNext) {
            failNext = false;
            throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
          }
          if (holdCopies && copyWritten) {
            held();
            await released;
          }
          await file.datasync();
        },
      };
    },
  };
}

describe("messages in segment files", () => {
  it("reads each message back byte for byte after a crash with the index deleted, in sequence order", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, { fileStore: SMALL_SEGMENTS });
    const sent = await ingestMany(store, 12);
    expect((await segmentNames(dataDir)).length).toBeGreaterThan(2);
    const crashed = await kit.crashCopy(dataDir);
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed, { fileStore: SMALL_SEGMENTS });
    const listed = (await reopened.list({ limit: 50 })).messages;
    expect(listed.map((message) => message.id)).toEqual(sent.map((message) => message.id).reverse());
    expect(listed.map((message) => message.sequence)).toEqual(sent.map((_, n) => 12 - n));
    for (const { id, raw } of sent)
      expect((await readAll(await reopened.readRaw(id))).equals(raw)).toBe(true);
    expect(await readdir(join(crashed, "messages"))).toEqual([]);
  });

  it("a sidecar change appends the message again: the newest record wins after a crash", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const raw = testMessage({ subject: "two inboxes" });
    const stored = await ingestBuffer(
      store,
      raw,
      testEnvelope({ rcptTo: ["a@mailnest.test", "b@mailnest.test"] }),
    );
    expect(await store.clearInbox("a@mailnest.test")).toBe(1);
    const crashed = await kit.crashCopy(dataDir);
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed);
    expect(reopened.getInbox("a@mailnest.test")).toBeNull();
    expect(reopened.summary(stored.id)?.inboxes).toEqual(["b@mailnest.test"]);
    expect((await readAll(await reopened.readRaw(stored.id))).equals(raw)).toBe(true);
  });

  it("a deletion is a durable tombstone: a crash right after it does not bring the message back", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const [deleted, kept] = await ingestMany(store, 2);
    expect(await store.deleteMessage(deleted!.id)).toBe(true);
    const crashed = await kit.crashCopy(dataDir);
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed);
    expect(reopened.summary(deleted!.id)).toBeNull();
    expect(await reopened.readRaw(deleted!.id)).toBeNull();
    expect(reopened.summary(kept!.id)).not.toBeNull();
  });

  it("truncates a torn tail and keeps every record before it", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const sent = await ingestMany(store, 3);
    const crashed = await kit.crashCopy(dataDir);
    const [segment] = await segmentNames(crashed);
    const path = join(crashed, "segments", segment!);
    // Where the three records end: zeros written ahead of them may follow (`zero-filled-file.ts`).
    const intactLength = scanSegment(await readFile(path)).validLength;
    // Half of a fourth record: what a crash during its write leaves (it was never acknowledged).
    const torn = Buffer.concat(encodeMessageRecord('{"version":1}', Buffer.from("half a message")));
    await appendFile(path, torn.subarray(0, torn.length - 5));

    const { store: reopened } = await kit.open(crashed);
    expect(reopened.messageCount).toBe(3);
    for (const { id, raw } of sent)
      expect((await readAll(await reopened.readRaw(id))).equals(raw)).toBe(true);
    expect((await stat(path)).size).toBe(intactLength);
  });

  it("a crash leaves the zeros written ahead of the records: the next start cuts them and reads every message", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const sent = await ingestMany(store, 20);
    const [segment] = await segmentNames(dataDir);
    const path = join(dataDir, "segments", segment!);
    const recordsEnd = scanSegment(await readFile(path)).validLength;
    // The first fill runs in the background after the first record; wait until it is on disk.
    for (let tries = 0; (await stat(path)).size <= recordsEnd; tries++) {
      if (tries > 200) throw new Error("no zeros were written ahead of the records");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const crashed = await kit.crashCopy(dataDir);
    const crashedPath = join(crashed, "segments", segment!);
    const copied = await readFile(crashedPath);
    expect(copied.length).toBeGreaterThan(recordsEnd);
    expect(copied.subarray(recordsEnd).every((byte) => byte === 0)).toBe(true);
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed);
    expect(reopened.messageCount).toBe(20);
    for (const { id, raw } of sent)
      expect((await readAll(await reopened.readRaw(id))).equals(raw)).toBe(true);
    expect((await stat(crashedPath)).size).toBe(recordsEnd);
    // New mail after the restart goes on in a new segment and reads back too.
    const [later] = await ingestMany(reopened, 1);
    expect((await readAll(await reopened.readRaw(later!.id))).equals(later!.raw)).toBe(true);
  });

  it("compaction copies the live messages of a mostly deleted segment forward and unlinks it", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, { fileStore: SMALL_SEGMENTS });
    const sent = await ingestMany(store, 12);
    const first = (await storedRawRange(dataDir, sent[0]!.id)).path;
    const inFirst: typeof sent = [];
    for (const message of sent) {
      if ((await storedRawRange(dataDir, message.id)).path === first) inFirst.push(message);
    }
    expect(inFirst.length).toBeGreaterThan(2);
    const survivor = inFirst.at(-1)!;
    for (const message of inFirst.slice(0, -1)) await store.deleteMessage(message.id);
    // Closing waits for a compaction that is running.
    await store.close();

    expect((await segmentNames(dataDir)).map((name) => join(dataDir, "segments", name))).not.toContain(first);
    expect((await storedRawRange(dataDir, survivor.id)).path).not.toBe(first);
    const { store: reopened } = await kit.open(dataDir, { fileStore: SMALL_SEGMENTS });
    const live = sent.filter((message) => !inFirst.slice(0, -1).includes(message));
    expect(reopened.messageCount).toBe(live.length);
    for (const { id, raw } of live)
      expect((await readAll(await reopened.readRaw(id))).equals(raw)).toBe(true);
  });

  it("a crash in the middle of compaction (copies written, old segment still there) loses nothing and doubles nothing", async () => {
    const dataDir = await kit.tempDir();
    const gate = appendFileGate();
    const options = { ...SMALL_SEGMENTS, openAppendFile: gate.openAppendFile };
    // Held in the middle: the index is deleted before the reopen, so the scan alone must be right.
    const { store } = await kit.open(dataDir, { fileStore: options });
    const sent = await ingestMany(store, 12);
    const first = (await storedRawRange(dataDir, sent[0]!.id)).path;
    const inFirst: typeof sent = [];
    for (const message of sent) {
      if ((await storedRawRange(dataDir, message.id)).path === first) inFirst.push(message);
    }
    // Deleted one by one until the segment is more than half dead: the compaction that starts then
    // writes its copies and is held at their fdatasync. A deletion asked for meanwhile waits for it.
    gate.holdCopies();
    const doomed: typeof sent = [];
    let waiting: Promise<boolean> | null = null;
    for (const message of inFirst.slice(0, -1)) {
      const deletion = store.deleteMessage(message.id);
      const first = await Promise.race([deletion.then(() => "deleted"), gate.isHeld.then(() => "held")]);
      if (first === "held") {
        waiting = deletion;
        break;
      }
      doomed.push(message);
    }
    const crashed = await kit.crashCopy(dataDir);
    gate.release();
    await waiting;
    await store.close();

    expect((await segmentNames(crashed)).map((name) => join(crashed, "segments", name))).toContain(
      first.replace(dataDir, crashed),
    );
    // The deletion that started the compaction may have been the one left waiting.
    if (waiting !== null && gate.tombstonesWritten() > doomed.length) doomed.push(inFirst[doomed.length]!);
    // Every live message of the old segment exists twice in the copy: there and, newer, in the current one.
    const copied = inFirst.filter((message) => !doomed.includes(message));
    for (const { id } of copied) {
      expect((await storedRawRange(crashed, id)).path).not.toBe(first.replace(dataDir, crashed));
    }
    await rm(join(crashed, "index"), { recursive: true });
    const { store: reopened } = await kit.open(crashed, { fileStore: SMALL_SEGMENTS });
    const live = sent.filter((message) => !doomed.includes(message));
    expect(reopened.messageCount).toBe(live.length);
    const listed = (await reopened.list({ limit: 50 })).messages.map((message) => message.id);
    expect(listed).toEqual(live.map((message) => message.id).reverse());
    for (const { id, raw } of live)
      expect((await readAll(await reopened.readRaw(id))).equals(raw)).toBe(true);
    for (const { id } of doomed) expect(reopened.summary(id)).toBeNull();
  });

  it("refuses a message whose fdatasync failed, and a restart does not bring it back", async () => {
    const dataDir = await kit.tempDir();
    const gate = appendFileGate();
    const { store } = await kit.open(dataDir, { fileStore: { openAppendFile: gate.openAppendFile } });
    const [kept] = await ingestMany(store, 1);
    gate.failNextDatasync();
    await expect(ingestBuffer(store, testMessage({ subject: "refused" }))).rejects.toBeInstanceOf(
      StorageFailedError,
    );
    const next = await ingestBuffer(store, testMessage({ subject: "after" }));
    expect(store.messageCount).toBe(2);
    const crashed = await kit.crashCopy(dataDir);
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed);
    const subjects = (await reopened.list({ limit: 10 })).messages.map((message) => message.subject);
    expect(subjects).toEqual(["after", "message 0"]);
    expect(reopened.summary(kept!.id)).not.toBeNull();
    expect(reopened.summary(next.id)).not.toBeNull();
  });

  it("opens a data directory written in the previous layout (messages/*.eml): old messages read, new ones go to segments", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir, { fileStore: { messageSegments: false } });
    const [old] = await ingestMany(store, 1);
    await store.close();
    expect((await readdir(join(dataDir, "messages"))).sort()).toEqual([`${old!.id}.eml`, `${old!.id}.json`]);

    const { store: upgraded } = await kit.open(dataDir);
    expect((await readAll(await upgraded.readRaw(old!.id))).equals(old!.raw)).toBe(true);
    expect((await upgraded.get(old!.id))?.subject).toBe("message 0");
    const raw = testMessage({ subject: "new" });
    const fresh = await ingestBuffer(upgraded, raw);
    expect((await storedRawRange(dataDir, fresh.id)).path).toMatch(/\.seg$/);
    expect(await upgraded.deleteMessage(old!.id)).toBe(true);
    expect(await readdir(join(dataDir, "messages"))).toEqual([]);
    await upgraded.close();

    const { store: reopened } = await kit.open(dataDir);
    expect((await reopened.list({ limit: 10 })).messages.map((message) => message.id)).toEqual([fresh.id]);
    expect((await readAll(await reopened.readRaw(fresh.id))).equals(raw)).toBe(true);
    expect(await readFile(join(dataDir, "segments", (await segmentNames(dataDir))[0]!))).not.toHaveLength(0);
  });
});

/** The newest segment file in `directory` (the current one of a store open there). */
async function newestOf(directory: string): Promise<string> {
  return (await readdir(directory))
    .filter((name) => name.endsWith(".seg"))
    .sort()
    .at(-1)!;
}

describe("the locators of a clean close", () => {
  async function openSegments(directory: string) {
    return MessageSegments.open({ directory, segmentBytes: 8 * 1024, syncDir: async () => {} });
  }
  const sidecarOf = (id: string) => JSON.stringify({ version: 1, id, sequence: 1, inboxes: [] });
  const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1r${String(n).padStart(2, "0")}`;

  it("spare the next start reading the segments; after a crash only the segments written since are read", async () => {
    const directory = await kit.tempDir();
    const first = await openSegments(directory);
    for (let n = 0; n < 10; n++) await first.appendMessage(id(n), sidecarOf(id(n)), Buffer.alloc(2000, n));
    await first.remove(id(3));
    await first.close();

    const second = await openSegments(directory);
    expect(second.scanned).toEqual([]);
    expect([...second.ids].sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9].map(id));
    expect(second.readRaw(id(9))?.equals(Buffer.alloc(2000, 9))).toBe(true);
    await second.appendMessage(id(10), sidecarOf(id(10)), Buffer.from("after"));
    await second.remove(id(0));
    // A kill -9 now: the snapshot of the first close is still there, and the new segment is not in it.
    const crashed = await kit.crashCopy(directory);
    await second.close();

    const third = await openSegments(crashed);
    expect(third.scanned).toHaveLength(1);
    expect([...third.ids].sort()).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10].map(id));
    expect(third.readRaw(id(10))?.toString()).toBe("after");
    await third.close();
  });

  it("an empty segment that runs killed before their first write left behind is removed at the next start", async () => {
    const directory = await kit.tempDir();
    const first = await openSegments(directory);
    for (let n = 0; n < 6; n++) await first.appendMessage(id(n), sidecarOf(id(n)), Buffer.alloc(2000, n));
    await first.close();
    const segmentFiles = async () =>
      (await readdir(directory)).filter((name) => name.endsWith(".seg")).sort();
    const written = await segmentFiles();
    // Two kill -9s in a row, each right after open: each leaves its (empty) current segment.
    for (let run = 0; run < 2; run++) {
      const killed = await openSegments(directory);
      const copy = await kit.crashCopy(directory);
      await killed.close();
      await rm(directory, { recursive: true });
      await cp(copy, directory, { recursive: true });
    }
    // The second start already removed the first one's; its own is left.
    expect((await segmentFiles()).length).toBe(written.length + 1);

    const restarted = await openSegments(directory);
    expect(await segmentFiles()).toEqual([...written, await newestOf(directory)]);
    expect([...restarted.ids].sort()).toEqual([0, 1, 2, 3, 4, 5].map(id));
    expect(restarted.readRaw(id(5))?.equals(Buffer.alloc(2000, 5))).toBe(true);
    await restarted.close();
    // Its own empty current segment goes at its clean close.
    expect(await segmentFiles()).toEqual(written);
  });

  it("are not trusted once a segment they name changed length: every segment is read", async () => {
    const directory = await kit.tempDir();
    const first = await openSegments(directory);
    for (let n = 0; n < 3; n++) await first.appendMessage(id(n), sidecarOf(id(n)), Buffer.alloc(100, n));
    await first.close();
    const [segment] = await readdir(directory).then((names) => names.filter((name) => name.endsWith(".seg")));
    await appendFile(join(directory, segment!), Buffer.from("torn"));

    const second = await openSegments(directory);
    expect(second.scanned).toHaveLength(1);
    expect([...second.ids].sort()).toEqual([0, 1, 2].map(id));
    await second.close();
  });

  it("a record damaged in the middle of a segment costs only itself: the scan skips to the next intact one", async () => {
    const directory = await kit.tempDir();
    const first = await openSegments(directory);
    for (let n = 0; n < 3; n++) await first.appendMessage(id(n), sidecarOf(id(n)), Buffer.alloc(100, n));
    await first.close();
    await rm(join(directory, "locators.bin"));
    const [segment] = await readdir(directory).then((names) => names.filter((name) => name.endsWith(".seg")));
    const path = join(directory, segment!);
    const bytes = await readFile(path);
    const middle = scanSegment(bytes).positions[1]!;
    bytes[middle.offset + middle.frameLength - 1]! ^= 0x01;
    await writeFile(path, bytes);

    const second = await openSegments(directory);
    expect([...second.ids].sort()).toEqual([id(0), id(2)]);
    expect(second.readRaw(id(2))?.equals(Buffer.alloc(100, 2))).toBe(true);
    expect((await stat(path)).size).toBe(bytes.length);
    await second.close();
  });
});

describe("the locators persisted at each rotation", () => {
  const SEGMENT_BYTES = 8 * 1024;
  async function openSegments(directory: string) {
    return MessageSegments.open({ directory, segmentBytes: SEGMENT_BYTES, syncDir: async () => {} });
  }
  const sidecarOf = (id: string, inboxes: string[] = []) =>
    JSON.stringify({ version: 1, id, sequence: 1, inboxes });
  const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1r${String(n).padStart(2, "0")}`;
  const body = (n: number) => Buffer.alloc(2000, n);

  /** The newest segment the locator file names: the scan after a crash starts past it. */
  async function newestPersisted(directory: string): Promise<number> {
    const file = decodeSegmentSnapshot(await readFile(join(directory, "locators.bin")));
    if (file === null) throw new Error("no intact locator file");
    return Math.max(...file.segments.map((segment) => segment.number));
  }

  async function segmentNumbers(directory: string): Promise<number[]> {
    return (await readdir(directory))
      .filter((name) => name.endsWith(".seg"))
      .map((name) => Number(name.slice(0, 12)))
      .sort((a, b) => a - b);
  }

  /** What a start that reads every segment finds: the reference the locator file must agree with. */
  async function fullScanOf(directory: string): Promise<MessageSegments> {
    const copy = await kit.crashCopy(directory);
    await rm(join(copy, "locators.bin"));
    const segments = await openSegments(copy);
    expect(segments.scanned).toEqual(await segmentNumbers(directory));
    return segments;
  }

  it("a crash after several rotations reads only the segments after the last locator file, and deletes and updates from before and after it hold", async () => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 12; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    // Before a persisted point: a deletion and a sidecar change of messages in the first segment.
    await live.remove(id(0));
    await live.replaceSidecar(id(1), sidecarOf(id(1), ["before@mailnest.test"]));
    for (let n = 12; n < 24; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    await live.whenLocatorsWritten();
    expect(live.persisted).toBeGreaterThan(3);
    // After it: the same kinds of change to messages the file places in older segments.
    await live.remove(id(2));
    await live.replaceSidecar(id(3), sidecarOf(id(3), ["after@mailnest.test"]));
    await live.appendMessage(id(24), sidecarOf(id(24)), Buffer.from("last"));
    const crashed = await kit.crashCopy(directory);
    await live.close();

    const persisted = await newestPersisted(crashed);
    const found = await segmentNumbers(crashed);
    const reference = await fullScanOf(crashed);
    const restarted = await openSegments(crashed);
    expect(restarted.scanned).toEqual(found.filter((number) => number > persisted));
    expect(restarted.scanned.length).toBeLessThan(found.length / 2);

    const expected = [1, ...Array.from({ length: 21 }, (_, n) => n + 3), 24].map(id).sort();
    expect([...restarted.ids].sort()).toEqual(expected);
    expect(restarted.readSidecar(id(1))?.toString()).toContain("before@mailnest.test");
    expect(restarted.readSidecar(id(3))?.toString()).toContain("after@mailnest.test");
    expect(restarted.readRaw(id(3))?.equals(body(3))).toBe(true);
    expect(restarted.readRaw(id(24))?.toString()).toBe("last");
    // The live-byte accounts that decide compaction are those of a full scan: nothing counted twice.
    expect(restarted.accounts()).toEqual(reference.accounts());
    await reference.close();
    await restarted.close();
  });

  it("a start that had to scan leaves a locator file, so a second crash does not read those segments again", async () => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 3; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    const crashed = await kit.crashCopy(directory);
    await live.close();

    const first = await openSegments(crashed);
    expect(first.scanned).toHaveLength(1);
    await first.whenLocatorsWritten();
    await first.appendMessage(id(3), sidecarOf(id(3)), body(3));
    const again = await kit.crashCopy(crashed);
    await first.close();

    const newest = (await segmentNumbers(again)).at(-1);
    const second = await openSegments(again);
    expect(second.scanned).toEqual([newest]);
    expect([...second.ids].sort()).toEqual([0, 1, 2, 3].map(id));
    await second.close();
  });

  /** A version-3 file's bytes with the checksum made right again, as a bug (not a torn write) would leave them. */
  const resealed = (bytes: Buffer) => {
    bytes.writeUInt32LE(crc32(bytes.subarray(20)), 16);
    return bytes;
  };
  const idsAt = (bytes: Buffer) => Math.ceil((20 + bytes.readUInt32LE(8)) / 8) * 8;

  it.each([
    ["torn", (bytes: Buffer) => bytes.subarray(0, bytes.length / 2)],
    ["garbage", () => Buffer.from("\u0000\u0001not ours")],
    [
      "changed after it was written (a bit of a number flipped)",
      (bytes: Buffer) => {
        bytes[bytes.length - 3]! ^= 0x10;
        return bytes;
      },
    ],
    [
      "one whose ids are out of order",
      (bytes: Buffer) => {
        const at = idsAt(bytes);
        const first = Buffer.from(bytes.subarray(at, at + 26));
        bytes.copy(bytes, at, at + 26, at + 52);
        first.copy(bytes, at + 26);
        return resealed(bytes);
      },
    ],
    [
      "one whose segments are of another shape",
      (bytes: Buffer) => {
        const json = Buffer.from(JSON.stringify({ segments: [{ number: "one" }] }));
        const length = bytes.readUInt32LE(8);
        if (json.length > length) throw new Error("test setup: the replacement JSON must not be longer");
        bytes.fill(0x20, 20, 20 + length);
        json.copy(bytes, 20);
        return resealed(bytes);
      },
    ],
    [
      "of a version this one does not know",
      (bytes: Buffer) => {
        bytes.writeUInt32LE(4, 4);
        return resealed(bytes);
      },
    ],
  ])("a locator file that is %s means a full scan, which loses nothing", async (_, damage) => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 12; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    await live.remove(id(4));
    await live.whenLocatorsWritten();
    const crashed = await kit.crashCopy(directory);
    await live.close();
    const file = join(crashed, "locators.bin");
    await writeFile(file, damage(await readFile(file)));

    const found = await segmentNumbers(crashed);
    const restarted = await openSegments(crashed);
    expect(restarted.scanned).toEqual(found);
    expect([...restarted.ids].sort()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11].map(id));
    await restarted.close();
  });

  /** The locators of the version-3 file, as `[id, five numbers]` rows. */
  async function legacyRows(
    directory: string,
  ): Promise<{ segments: unknown[]; rows: [string, ...number[]][] }> {
    const snapshot = decodeSegmentSnapshot(await readFile(join(directory, "locators.bin")));
    if (snapshot === null) throw new Error("no intact locator file");
    const { ids, numbers } = snapshot.locators;
    const rows = Array.from({ length: ids.length / 26 }, (_, n): [string, ...number[]] => [
      ids.toString("latin1", 26 * n, 26 * (n + 1)),
      ...numbers.subarray(5 * n, 5 * n + 5),
    ]);
    return { segments: snapshot.segments, rows };
  }

  it.each([
    [
      "1 (an array per locator), as 0.1 left it",
      ({ segments, rows }: Awaited<ReturnType<typeof legacyRows>>) => ({
        version: 1,
        segments,
        locators: rows,
      }),
    ],
    [
      "2 (the columns in base64 inside JSON)",
      ({ segments, rows }: Awaited<ReturnType<typeof legacyRows>>) => {
        // Not sorted, as version 2 was written: in the order the messages were placed.
        const shuffled = [...rows].reverse();
        const ids = shuffled.map(([id]) => id).join("");
        const packed = Buffer.alloc(shuffled.length * 40);
        shuffled.forEach(([, ...fields], n) => {
          fields.forEach((field, k) => {
            packed.writeDoubleLE(field, 8 * (5 * n + k));
          });
        });
        const numbers = packed.toString("base64");
        return { version: 2, segments, locators: { ids, numbers, crc32: crc32(numbers, crc32(ids)) } };
      },
    ],
  ])(
    "a locators.json of version %s is read: no full scan after the upgrade, and the next file replaces it",
    async (_, legacy) => {
      const directory = await kit.tempDir();
      const live = await openSegments(directory);
      for (let n = 0; n < 12; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
      await live.remove(id(4));
      await live.close();
      await writeFile(join(directory, "locators.json"), JSON.stringify(legacy(await legacyRows(directory))));
      await rm(join(directory, "locators.bin"));

      const restarted = await openSegments(directory);
      expect(restarted.scanned).toEqual([]);
      expect([...restarted.ids].sort()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11].map(id));
      expect(restarted.readRaw(id(11))?.equals(body(11))).toBe(true);
      expect(restarted.readRaw(id(0))?.equals(body(0))).toBe(true);
      await restarted.close();
      expect(await readdir(directory)).not.toContain("locators.json");
      expect(decodeSegmentSnapshot(await readFile(join(directory, "locators.bin")))).not.toBeNull();
    },
  );

  it("a start that scanned writes its locator file once the server is up, or at close if it never came up", async () => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 12; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    await live.whenLocatorsWritten();
    const crashed = await kit.crashCopy(directory);
    await live.close();
    await rm(join(crashed, "locators.bin"));
    const twice = await kit.crashCopy(crashed);

    let up = () => {};
    const serverUp = new Promise<void>((resolve) => {
      up = resolve;
    });
    const started = await MessageSegments.open({
      directory: crashed,
      segmentBytes: SEGMENT_BYTES,
      syncDir: async () => {},
      backgroundWorkAfter: serverUp,
    });
    expect(started.scanned.length).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started.persisted).toBe(0);
    up();
    await started.whenLocatorsWritten();
    expect(started.persisted).toBe(1);
    await started.close();

    // A server that never comes up (a port in use): the close does not hang, and writes the file.
    const neverUp = await MessageSegments.open({
      directory: twice,
      segmentBytes: SEGMENT_BYTES,
      syncDir: async () => {},
      backgroundWorkAfter: new Promise<void>(() => {}),
    });
    await neverUp.close();
    expect(neverUp.persisted).toBeGreaterThanOrEqual(1);
    const again = await openSegments(twice);
    expect(again.scanned).toEqual([]);
    expect([...again.ids].sort()).toEqual(Array.from({ length: 12 }, (_, n) => id(n)));
    await again.close();
  });

  it("compaction after a crash restart triggers as it would have without the crash", async () => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 16; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    await live.whenLocatorsWritten();
    const oldest = (await segmentNumbers(directory))[0]!;
    // One deletion in the oldest segment after the persisted point: not enough to compact it.
    await live.remove(id(0));
    const crashed = await kit.crashCopy(directory);
    await live.close();

    const restarted = await openSegments(crashed);
    expect(restarted.scanned).not.toContain(oldest);
    // The second deletion takes the oldest segment below half live (3 of 4 records there are dead).
    await restarted.remove(id(1));
    const [account] = restarted.accounts();
    expect(account?.number).toBe(oldest);
    expect(account!.live * 2).toBeGreaterThanOrEqual(account!.bytes);
    expect(await segmentNumbers(crashed)).toContain(oldest);
    await restarted.remove(id(2));
    await restarted.close();
    expect(await segmentNumbers(crashed)).not.toContain(oldest);

    const reopened = await openSegments(crashed);
    expect([...reopened.ids].sort()).toEqual(Array.from({ length: 13 }, (_, n) => id(n + 3)));
    expect(reopened.readRaw(id(3))?.equals(body(3))).toBe(true);
    await reopened.close();
  });

  it("a segment the locator file names that compaction removed since is no reason to read the others", async () => {
    const directory = await kit.tempDir();
    const live = await openSegments(directory);
    for (let n = 0; n < 16; n++) await live.appendMessage(id(n), sidecarOf(id(n)), body(n));
    await live.whenLocatorsWritten();
    const before = await readFile(join(directory, "locators.bin"));
    const oldest = (await segmentNumbers(directory))[0]!;
    for (let n = 0; n < 3; n++) await live.remove(id(n));
    // Wait for the compaction to unlink it: close waits for a compaction that is running.
    await live.close();
    expect(await segmentNumbers(directory)).not.toContain(oldest);
    // A kill -9 before the next locator file: the one on disk still names the compacted segment.
    await writeFile(join(directory, "locators.bin"), before);
    const persisted = await newestPersisted(directory);

    const found = await segmentNumbers(directory);
    const restarted = await openSegments(directory);
    expect(restarted.scanned).toEqual(found.filter((n) => n > persisted));
    expect(restarted.scanned.length).toBeLessThan(found.length - 1);
    expect([...restarted.ids].sort()).toEqual(Array.from({ length: 13 }, (_, n) => id(n + 3)));
    expect(restarted.readRaw(id(3))?.equals(body(3))).toBe(true);
    await restarted.close();
  });
});

describe("the staging areas records are encoded into", () => {
  const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1s${String(n).padStart(2, "0")}`;
  const sidecarOf = (n: number) =>
    JSON.stringify({ version: 1, id: id(n), sequence: n + 1, inboxes: [], note: `é${"x".repeat(n * 13)}` });
  const rawOf = (n: number) => Buffer.alloc(300 + n * 7, n);

  it("are not reused while a record is queued: records queued during a held fdatasync and during rotations come back byte for byte", async () => {
    const directory = await kit.tempDir();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = () => {};
    const isHeld = new Promise<void>((resolve) => {
      held = resolve;
    });
    let datasyncs = 0;
    let next = 0;
    const appended: Promise<void>[] = [];
    const append = (count: number) => {
      for (let k = 0; k < count; k += 1, next += 1)
        appended.push(segments.appendMessage(id(next), sidecarOf(next), rawOf(next)));
    };
    let rotations = 0;
    const segments = await MessageSegments.open({
      directory,
      // About two records per segment: nearly every batch starts with a rotation, whose awaits are a
      // window in which new records are queued (and encoded) before the batch is taken.
      segmentBytes: 2 * 1024,
      async syncDir() {
        rotations += 1;
        if (rotations > 1 && next < 60) append(8);
      },
      async openAppendFile(path) {
        const file = await openAppendFile(path);
        return {
          append: (chunks) => file.append(chunks),
          close: () => file.close(),
          async datasync() {
            datasyncs += 1;
            if (datasyncs === 2) {
              held();
              await released;
            }
            await file.datasync();
          },
        };
      },
    });
    // The second batch fills the segment and is held at its fdatasync while 20 more are encoded; the
    // batch that takes those rotates first, and each rotation queues 8 more while it runs
    // (more bytes than the batch before it took). An area reused too early would overwrite records not
    // yet written: their checksums would fail, and the scan would lose them.
    append(6);
    await isHeld;
    append(20);
    release();
    await Promise.all(appended.splice(0));
    // One at a time from here: each lands in a full segment, so its batch rotates first.
    while (next < 60) {
      append(1);
      while (appended.length > 0) await Promise.all(appended.splice(0));
    }
    expect(rotations).toBeGreaterThan(3);
    const crashed = await kit.crashCopy(directory);
    await segments.close();

    const reopened = await MessageSegments.open({
      directory: crashed,
      segmentBytes: 2 * 1024,
      syncDir: async () => {},
    });
    expect([...reopened.ids].sort()).toEqual(Array.from({ length: next }, (_, n) => id(n)));
    for (let n = 0; n < next; n++) {
      expect(reopened.readRaw(id(n))?.equals(rawOf(n))).toBe(true);
      expect(reopened.readSidecar(id(n))?.toString("utf8")).toBe(sidecarOf(n));
    }
    await reopened.close();
  });

  it("frame a record as wal-record.ts documents it, into a staging area or a buffer of its own", () => {
    const staging = new RecordStaging();
    for (const n of [0, 5, 40]) {
      const raw = rawOf(n);
      const header = Buffer.from(sidecarOf(n), "utf8");
      const lead = Buffer.alloc(5);
      lead.writeUInt8(1, 0);
      lead.writeUInt32BE(header.length, 1);
      const frameHeader = Buffer.alloc(12);
      frameHeader.writeUInt32BE(0x4d4e574c, 0);
      frameHeader.writeUInt32BE(5 + header.length + raw.length, 4);
      frameHeader.writeUInt32BE(crc32(Buffer.concat([lead, header, raw])), 8);
      const expected = Buffer.concat([frameHeader, lead, header, raw]);

      const { chunks, headerLength } = encodeMessageRecordInto(
        (size) => staging.reserve(size),
        sidecarOf(n),
        raw,
      );
      expect(Buffer.concat(chunks).equals(expected)).toBe(true);
      expect(chunks.at(-1)).toBe(raw);
      expect(headerLength).toBe(header.length);
      expect(Buffer.concat(encodeMessageRecord(sidecarOf(n), raw)).equals(expected)).toBe(true);
    }
    const empty = encodeMessageRecordInto((size) => staging.reserve(size), sidecarOf(1), Buffer.alloc(0));
    expect(empty.chunks).toHaveLength(1);
    expect(scanSegment(empty.chunks[0]!).positions).toMatchObject([{ kind: "message", rawLength: 0 }]);
  });
});

describe("where a batch's fdatasync runs", () => {
  const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1u${String(n).padStart(2, "0")}`;
  const sidecarOf = (n: number) => JSON.stringify({ version: 1, id: id(n), sequence: n + 1, inboxes: [] });
  const rawOf = (n: number) => Buffer.alloc(200 + n, n);

  /** Real segment files whose fdatasyncs are counted by where they ran, and can be slowed or failed. */
  async function countingSegments(options: { deferredTombstoneMs?: number } = {}) {
    const seen = { onLoop: 0, inPool: 0 };
    const control = { poolDelayMs: 0, failOnLoop: false };
    const directory = await kit.tempDir();
    const segments = await MessageSegments.open({
      ...options,
      directory,
      segmentBytes: 64 * 1024,
      syncDir: async () => {},
      async openAppendFile(path) {
        const file = await openAppendFile(path);
        return {
          append: (chunks) => file.append(chunks),
          close: () => file.close(),
          async datasync() {
            seen.inPool += 1;
            if (control.poolDelayMs > 0)
              await new Promise((resolve) => setTimeout(resolve, control.poolDelayMs));
            await file.datasync();
          },
          datasyncNow() {
            seen.onLoop += 1;
            if (control.failOnLoop)
              throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
            file.datasyncNow!();
          },
        };
      },
    });
    return { segments, seen, control, directory };
  }

  /** What a `kill -9` now would leave, opened (after `segments` closes). */
  async function openCrashCopy(segments: MessageSegments, directory: string): Promise<MessageSegments> {
    const crashed = await kit.crashCopy(directory);
    await segments.close();
    return MessageSegments.open({ directory: crashed, segmentBytes: 64 * 1024, syncDir: async () => {} });
  }

  it("a lone record its writer marked runs it on the event loop; a batch of two, or an unmarked record, in the pool", async () => {
    const { segments, seen } = await countingSegments();
    await segments.appendMessage(id(0), sidecarOf(0), rawOf(0), { syncOnLoop: true });
    expect(seen).toEqual({ onLoop: 1, inPool: 0 });

    await segments.appendMessage(id(1), sidecarOf(1), rawOf(1));
    expect(seen).toEqual({ onLoop: 1, inPool: 1 });

    // Queued in the same tick: one batch of two, whatever each asked for.
    await Promise.all([
      segments.appendMessage(id(2), sidecarOf(2), rawOf(2), { syncOnLoop: true }),
      segments.appendMessage(id(3), sidecarOf(3), rawOf(3), { syncOnLoop: true }),
    ]);
    expect(seen).toEqual({ onLoop: 1, inPool: 2 });
    await segments.close();
  });

  it("a deferred tombstone rides the next record's batch, which still syncs on the loop", async () => {
    const { segments, seen, directory } = await countingSegments({ deferredTombstoneMs: 60_000 });
    await segments.appendMessage(id(0), sidecarOf(0), rawOf(0), { syncOnLoop: true });
    await segments.remove(id(0), { deferred: true });
    expect(seen).toEqual({ onLoop: 1, inPool: 0 });
    expect(segments.readRaw(id(0))?.equals(rawOf(0))).toBe(true);

    await segments.appendMessage(id(1), sidecarOf(1), rawOf(1), { syncOnLoop: true });
    expect(seen).toEqual({ onLoop: 2, inPool: 0 });
    expect(segments.has(id(0))).toBe(false);
    const reopened = await openCrashCopy(segments, directory);
    expect([...reopened.ids]).toEqual([id(1)]);
    await reopened.close();
  });

  it("with no record after it, a deferred tombstone is written on its own once its time has passed", async () => {
    const { segments, seen } = await countingSegments({ deferredTombstoneMs: 20 });
    await segments.appendMessage(id(0), sidecarOf(0), rawOf(0), { syncOnLoop: true });
    await segments.remove(id(0), { deferred: true });
    expect(segments.has(id(0))).toBe(true);
    await expect.poll(() => segments.has(id(0)), { timeout: 5000, interval: 10 }).toBe(false);
    expect(seen).toEqual({ onLoop: 1, inPool: 1 });
    await segments.close();
  });

  it("the store marks a message received while no other is on its way in, and only then", async () => {
    const seen = { onLoop: 0, inPool: 0 };
    const { store } = await kit.open(await kit.tempDir(), {
      fileStore: { openAppendFile: countingAppendFiles(seen) },
    });
    for (let n = 0; n < 3; n++) await ingestBuffer(store, testMessage({ subject: `alone ${n}` }));
    expect(seen).toEqual({ onLoop: 3, inPool: 0 });

    // Two clients at once: the first to commit is not alone, whatever the batches turn out to be.
    await Promise.all([0, 1].map((n) => ingestBuffer(store, testMessage({ subject: `together ${n}` }))));
    expect(seen.onLoop).toBe(3);
    expect(seen.inPool).toBeGreaterThanOrEqual(1);
    expect((await store.list({ limit: 10 })).messages).toHaveLength(5);
  });

  it("after slow fdatasyncs a marked record goes to the pool, and back to the loop once they are quick again", async () => {
    const { segments, seen, control } = await countingSegments();
    let next = 0;
    const unmarked = async (count: number) => {
      for (let k = 0; k < count; k++, next++)
        await segments.appendMessage(id(next), sidecarOf(next), rawOf(next));
    };
    const marked = async () => {
      await segments.appendMessage(id(next), sidecarOf(next), rawOf(next), { syncOnLoop: true });
      next += 1;
    };

    control.poolDelayMs = 8; // a disk taking 8 ms per fdatasync
    await unmarked(10);
    const before = { ...seen };
    await marked();
    expect(seen).toEqual({ onLoop: before.onLoop, inPool: before.inPool + 1 });

    control.poolDelayMs = 0;
    await unmarked(60);
    await marked();
    expect(seen.onLoop).toBe(before.onLoop + 1);
    await segments.close();
  });

  it("a failed fdatasync on the loop refuses the record, a restart does not bring it back, and the next one is kept", async () => {
    const { segments, control, directory } = await countingSegments();
    await segments.appendMessage(id(0), sidecarOf(0), rawOf(0), { syncOnLoop: true });
    control.failOnLoop = true;
    await expect(segments.appendMessage(id(1), sidecarOf(1), rawOf(1), { syncOnLoop: true })).rejects.toThrow(
      /EIO/,
    );
    control.failOnLoop = false;
    await segments.appendMessage(id(2), sidecarOf(2), rawOf(2), { syncOnLoop: true });
    expect(segments.has(id(1))).toBe(false);
    const reopened = await openCrashCopy(segments, directory);
    expect([...reopened.ids].sort()).toEqual([id(0), id(2)]);
    expect(reopened.readRaw(id(2))?.equals(rawOf(2))).toBe(true);
    await reopened.close();
  });
});
