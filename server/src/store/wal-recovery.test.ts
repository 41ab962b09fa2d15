import { appendFile, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createStoreKit,
  ingestBuffer,
  readAll,
  sha256,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";
import { decodeSegment, encodeMessageRecord, encodeTombstone } from "./wal-record.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** Segments that never rotate during a test, so the log still holds every record. */
const NO_ROTATION = { fileStore: { walSegmentMs: 600_000 } };
/**
 * How stores were written before messages moved into segments (`messages/` + a checkpointed log).
 * They are reopened with segments on: a store of the previous layout stays readable as it is.
 */
const PREVIOUS_LAYOUT = { fileStore: { walSegmentMs: 600_000, messageSegments: false } };

async function storeWithMessages(count: number) {
  const dataDir = await kit.tempDir();
  const { store } = await kit.open(dataDir, PREVIOUS_LAYOUT);
  const sent: { id: string; raw: Buffer; sequence: number }[] = [];
  for (let n = 0; n < count; n++) {
    const to = `user-${n}@mailnest.test`;
    const raw = testMessage({ subject: `message ${n}`, to });
    const stored = await ingestBuffer(store, raw, testEnvelope({ rcptTo: [to] }));
    sent.push({ id: stored.id, raw, sequence: stored.sequence });
  }
  return { dataDir, store, sent };
}

/**
 * A `syncFile` that lets the first `free` calls through and holds the rest until `open()`; `stalled`
 * resolves when the first call is held.
 */
function syncGate(free: number) {
  const completed: string[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let stall: () => void = () => {};
  const stalled = new Promise<void>((resolve) => {
    stall = resolve;
  });
  let calls = 0;
  return {
    completed,
    stalled,
    open: release,
    async syncFile(path: string) {
      calls += 1;
      if (calls > free) {
        stall();
        await released;
      }
      completed.push(path);
    },
  };
}

async function segmentsIn(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, "wal"))).filter((name) => name.endsWith(".wal")).sort();
}

describe("write-ahead log recovery at startup", () => {
  it("restores an .eml that is missing or truncated, and a missing sidecar, from the log", async () => {
    const { dataDir, store, sent } = await storeWithMessages(3);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    const [missing, truncated, noSidecar] = sent as [(typeof sent)[0], (typeof sent)[0], (typeof sent)[0]];
    await rm(join(crashed, "messages", `${missing.id}.eml`));
    await truncate(join(crashed, "messages", `${truncated.id}.eml`), 10);
    await rm(join(crashed, "messages", `${noSidecar.id}.json`));

    const { store: reopened } = await kit.open(crashed, NO_ROTATION);
    for (const { id, raw, sequence } of sent) {
      expect(sha256(await readAll(await reopened.readRaw(id)))).toBe(sha256(raw));
      const message = await reopened.get(id);
      // The original sequence and envelope, not a re-parsed approximation.
      expect(message?.sequence).toBe(sequence);
      expect(message?.envelope.heloName).toBe("client.test");
    }
    // The background checkpoint made everything replayed durable and deleted the replayed segment.
    await reopened.close();
    expect(await segmentsIn(crashed)).toEqual([]);
  });

  it("recovers a log of many records: every message readable, byte-exact and indexed with its sequence", async () => {
    const { dataDir, store, sent } = await storeWithMessages(120);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    // What a crash can leave: .eml files missing or torn, sidecars missing or torn, no index at all.
    for (const [n, { id }] of sent.entries()) {
      if (n % 3 === 0) await rm(join(crashed, "messages", `${id}.eml`));
      if (n % 5 === 0) await truncate(join(crashed, "messages", `${id}.eml`), 0).catch(() => {});
      if (n % 7 === 0) await writeFile(join(crashed, "messages", `${id}.json`), "{ torn");
    }
    await rm(join(crashed, "index"), { recursive: true });

    const { store: reopened } = await kit.open(crashed, NO_ROTATION);
    expect(reopened.messageCount).toBe(sent.length);
    for (const { id, raw, sequence } of sent) {
      expect(sha256(await readAll(await reopened.readRaw(id)))).toBe(sha256(raw));
      expect(reopened.summary(id)?.sequence).toBe(sequence);
      expect((await reopened.get(id))?.envelope.heloName).toBe("client.test");
    }
  });

  it("is ready before any replayed file is fsync'd; the background checkpoint then syncs each one", async () => {
    const { dataDir, store, sent } = await storeWithMessages(20);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    const gate = syncGate(0);

    const { store: reopened } = await kit.open(crashed, {
      fileStore: { ...NO_ROTATION.fileStore, syncFile: gate.syncFile },
    });
    // Ready, and everything served from the replayed files, while no fsync has finished.
    expect(gate.completed).toEqual([]);
    for (const { id, raw } of sent)
      expect(sha256(await readAll(await reopened.readRaw(id)))).toBe(sha256(raw));
    const [replayed] = await segmentsIn(crashed);
    expect(await readFile(join(crashed, "wal", replayed!))).not.toHaveLength(0);

    gate.open();
    await reopened.close();
    const files = sent.flatMap(({ id }) => [
      join(crashed, "messages", `${id}.eml`),
      join(crashed, "messages", `${id}.json`),
    ]);
    expect(new Set(gate.completed)).toEqual(new Set(files));
    expect(await segmentsIn(crashed)).toEqual([]);
  });

  it("loses nothing when the process dies in the middle of the background checkpoint", async () => {
    const { dataDir, store, sent } = await storeWithMessages(20);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    // The checkpoint gets through a few files, then hangs: the process is "killed" there.
    const gate = syncGate(7);
    const { store: reopened } = await kit.open(crashed, {
      fileStore: { ...NO_ROTATION.fileStore, syncFile: gate.syncFile },
    });
    await gate.stalled;
    const crashedAgain = await kit.crashCopy(crashed);
    gate.open();
    await reopened.close();

    const { store: again } = await kit.open(crashedAgain, NO_ROTATION);
    expect(again.messageCount).toBe(sent.length);
    for (const { id, raw, sequence } of sent) {
      expect(sha256(await readAll(await again.readRaw(id)))).toBe(sha256(raw));
      expect(again.summary(id)?.sequence).toBe(sequence);
    }
  });

  it("truncates a torn tail and recovers every record before it", async () => {
    const { dataDir, store, sent } = await storeWithMessages(2);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    const [segment] = await segmentsIn(crashed);
    const segmentPath = join(crashed, "wal", segment!);
    // A record cut off by the crash: its frame header promises more bytes than were written.
    const torn = Buffer.concat(encodeMessageRecord(JSON.stringify({ id: "torn" }), Buffer.alloc(4096, 1)));
    await appendFile(segmentPath, torn.subarray(0, 100));
    for (const { id } of sent) await rm(join(crashed, "messages", `${id}.eml`));

    const { store: reopened } = await kit.open(crashed, NO_ROTATION);
    for (const { id, raw } of sent) {
      expect(sha256(await readAll(await reopened.readRaw(id)))).toBe(sha256(raw));
    }
    expect(reopened.messageCount).toBe(2);
  });

  it("does not resurrect a message deleted while the log still held it", async () => {
    const { dataDir, store, sent } = await storeWithMessages(2);
    const [deleted, kept] = sent as [(typeof sent)[0], (typeof sent)[0]];
    expect(await store.deleteMessage(deleted.id)).toBe(true);
    const crashed = await kit.crashCopy(dataDir);
    await store.close();

    const { store: reopened } = await kit.open(crashed, NO_ROTATION);
    expect(reopened.summary(deleted.id)).toBeNull();
    expect(await reopened.readRaw(deleted.id)).toBeNull();
    expect(reopened.summary(kept.id)).not.toBeNull();
    expect((await readdir(join(crashed, "messages"))).sort()).toEqual([`${kept.id}.eml`, `${kept.id}.json`]);
  });

  it("leaves an empty log after a clean close", async () => {
    const { dataDir, store } = await storeWithMessages(2);
    await store.close();
    expect(await segmentsIn(dataDir)).toEqual([]);
  });
});

describe("write-ahead log records", () => {
  const sidecar = (id: string) =>
    JSON.stringify({
      version: 1,
      id,
      sequence: 1,
      inboxes: [],
      envelope: {},
      view: {},
      size: 3,
      sha256: "x",
    });
  const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1r8${n}`;

  it("decodes intact records and stops at the first torn or corrupt one", () => {
    const first = Buffer.concat(encodeMessageRecord(sidecar(id(1)), Buffer.from("one")));
    const second = Buffer.concat(encodeTombstone(id(1)));
    const third = Buffer.concat(encodeMessageRecord(sidecar(id(2)), Buffer.from("two")));

    const whole = decodeSegment(Buffer.concat([first, second, third]));
    expect(whole.records.map((record) => record.kind)).toEqual(["message", "tombstone", "message"]);
    expect(whole.validLength).toBe(first.length + second.length + third.length);

    const torn = decodeSegment(Buffer.concat([first, second, third.subarray(0, third.length - 1)]));
    expect(torn.records).toHaveLength(2);
    expect(torn.validLength).toBe(first.length + second.length);

    const flipped = Buffer.from(third);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 0xff, flipped.length - 1);
    const corrupt = decodeSegment(Buffer.concat([first, flipped, second]));
    expect(corrupt.records).toHaveLength(1);
    expect(corrupt.validLength).toBe(first.length);
  });
});
