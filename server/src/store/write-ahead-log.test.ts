import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AppendFile } from "./append-file.js";
import { decodeSegment } from "./wal-record.js";
import { type Release, WriteAheadLog, type WriteAheadLogOptions } from "./write-ahead-log.js";

const dirs: string[] = [];
const logs: WriteAheadLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mailnest-wal-"));
  dirs.push(dir);
  return dir;
}

const sidecarJson = (id: string) => JSON.stringify({ version: 1, id });

async function openLog(overrides: Partial<WriteAheadLogOptions> = {}) {
  const dataDir = await tempDir();
  const directory = join(dataDir, "wal");
  const messages = join(dataDir, "messages");
  await mkdir(directory);
  await mkdir(messages);
  const log = await WriteAheadLog.open(
    {
      directory,
      segmentBytes: 1024 * 1024,
      segmentMs: 60_000,
      filesOf: (id) => [join(messages, `${id}.eml`), join(messages, `${id}.json`)],
      syncFile: async () => {},
      syncMessagesDir: async () => {},
      syncLogDir: async () => {},
      ...overrides,
    },
    1,
  );
  logs.push(log);
  return { log, directory, messages };
}

/** A segment file whose fdatasyncs wait until the test lets them finish. */
function gatedSegmentFile() {
  const gates: (() => void)[] = [];
  const batches: number[] = [];
  let pendingChunks = 0;
  const file: AppendFile = {
    async append(chunks) {
      pendingChunks = chunks.length;
    },
    datasync() {
      batches.push(pendingChunks);
      return new Promise((resolve) => gates.push(resolve));
    },
    async close() {},
  };
  return {
    file,
    batches,
    async openNextSync() {
      await expect.poll(() => gates.length).toBeGreaterThan(0);
      gates.shift()!();
    },
  };
}

describe("write-ahead log", () => {
  it("group commit: records queued while an fdatasync runs share the next single write + fdatasync", async () => {
    const segment = gatedSegmentFile();
    const { log } = await openLog({ openSegmentFile: async () => segment.file });
    const settled: string[] = [];
    const append = (id: string) =>
      log.appendMessage(id, sidecarJson(id), Buffer.from(`raw ${id}`)).then((release) => {
        settled.push(id);
        release();
      });

    const first = append("first");
    await expect.poll(() => segment.batches.length).toBe(1);
    const others = Array.from({ length: 9 }, (_, n) => append(`other-${n}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toEqual([]);

    await segment.openNextSync();
    await first;
    expect(settled).toEqual(["first"]);
    await expect.poll(() => segment.batches.length).toBe(2);
    // Nine records (two buffers each: framing with the sidecar, then the raw bytes) went out in one
    // write, and nothing is acknowledged before its sync.
    expect(segment.batches[1]).toBe(9 * 2);
    expect(settled).toEqual(["first"]);

    await segment.openNextSync();
    await Promise.all(others);
    expect(settled).toHaveLength(10);
    expect(segment.batches).toHaveLength(2);
  });

  it("deletes a closed segment only after the files of its records are fsync'd", async () => {
    const synced: { path: string; segmentStillThere: boolean }[] = [];
    let directory = "";
    const { log, messages, ...opened } = await openLog({
      segmentBytes: 1,
      syncFile: async (path) => {
        synced.push({ path, segmentStillThere: existsSync(join(directory, "000000000001.wal")) });
      },
    });
    directory = opened.directory;

    const release: Release = await log.appendMessage("a", sidecarJson("a"), Buffer.from("raw a"));
    // The next record rotates: segment 1 is closed, but its record's files are not written yet.
    (await log.appendMessage("b", sidecarJson("b"), Buffer.from("raw b")))();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await readdir(directory)).sort()).toEqual(["000000000001.wal", "000000000002.wal"]);
    expect(synced).toEqual([]);

    await writeFile(join(messages, "a.eml"), "raw a");
    await writeFile(join(messages, "a.json"), sidecarJson("a"));
    release();
    await expect.poll(async () => readdir(directory)).toEqual(["000000000002.wal"]);
    expect(synced).toEqual([
      { path: join(messages, "a.eml"), segmentStillThere: true },
      { path: join(messages, "a.json"), segmentStillThere: true },
    ]);
  });

  it("with a file-system sync, a checkpoint makes one call for its segments instead of an fsync per file", async () => {
    const synced: string[] = [];
    let wholeSyncs = 0;
    const { log, directory } = await openLog({
      segmentBytes: 1,
      syncFile: async (path) => {
        synced.push(path);
      },
      syncMessagesDir: async () => {
        synced.push("messages/");
      },
      syncFileSystem: async () => {
        wholeSyncs += 1;
      },
    });
    for (const id of ["a", "b", "c"])
      (await log.appendMessage(id, sidecarJson(id), Buffer.from(`raw ${id}`)))();
    // Each record rotated the one before it out: two closed segments, at most two syncs (one when
    // both were closed before the checkpoint started), nothing file by file.
    await expect.poll(async () => readdir(directory)).toEqual(["000000000003.wal"]);
    expect(wholeSyncs).toBeGreaterThanOrEqual(1);
    expect(wholeSyncs).toBeLessThanOrEqual(2);
    expect(synced).toEqual([]);
  });

  it("falls back to an fsync per file, for good, once the file-system sync fails", async () => {
    const synced: string[] = [];
    let wholeSyncs = 0;
    const { log, directory, messages } = await openLog({
      segmentBytes: 1,
      syncFile: async (path) => {
        synced.push(path);
      },
      syncFileSystem: async () => {
        wholeSyncs += 1;
        throw new Error("sync: unrecognized option '--file-system'");
      },
    });
    for (const id of ["a", "b", "c"])
      (await log.appendMessage(id, sidecarJson(id), Buffer.from(`raw ${id}`)))();
    await expect.poll(async () => readdir(directory)).toEqual(["000000000003.wal"]);
    expect(wholeSyncs).toBe(1);
    expect(synced).toEqual(["a.eml", "a.json", "b.eml", "b.json"].map((name) => join(messages, name)));
  });

  it("refuses a batch whose fdatasync failed and tombstones it in a fresh segment", async () => {
    const opened: { path: string; appended: Buffer[][] }[] = [];
    const { log, directory } = await openLog({
      openSegmentFile: async (path) => {
        const file = { path, appended: [] as Buffer[][] };
        opened.push(file);
        return {
          async append(chunks) {
            file.appended.push(chunks);
          },
          async datasync() {
            if (opened.length === 1) throw new Error("EIO");
          },
          async close() {},
        };
      },
    });

    await expect(log.appendMessage("a", sidecarJson("a"), Buffer.from("raw a"))).rejects.toThrow("EIO");
    expect(opened.map((file) => file.path)).toEqual([
      join(directory, "000000000001.wal"),
      join(directory, "000000000002.wal"),
    ]);
    const tombstone = Buffer.concat(opened[1]!.appended.flat());
    expect(decodeSegment(tombstone).records).toEqual([{ kind: "tombstone", id: "a" }]);
    // Later records go to the fresh segment, never after the failed one.
    (await log.appendMessage("b", sidecarJson("b"), Buffer.from("raw b")))();
    expect(opened[0]!.appended).toHaveLength(1);
    expect(opened[1]!.appended).toHaveLength(2);
  });

  it("writes a tombstone only for ids a live segment still holds", async () => {
    const segment = gatedSegmentFile();
    const { log } = await openLog({ openSegmentFile: async () => segment.file });
    const appending = log.appendMessage("a", sidecarJson("a"), Buffer.from("raw a"));
    await segment.openNextSync();
    (await appending)();

    await log.forget("never-logged");
    expect(segment.batches).toHaveLength(1);
    const forgetting = log.forget("a");
    await segment.openNextSync();
    await forgetting;
    expect(segment.batches).toHaveLength(2);
    // Forgotten once: a second delete has nothing left to protect.
    await log.forget("a");
    expect(segment.batches).toHaveLength(2);
  });
});
