import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serialize } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit } from "../test-support/store-kit.js";
import { createFileIndexStorage, type IndexStorage, SnapshotFileError } from "./index-storage.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("file index storage: the summaries snapshot", () => {
  /** Each frame copied: the storage reads every frame into one buffer. */
  async function framesOf(storage: IndexStorage): Promise<Buffer[]> {
    const frames: Buffer[] = [];
    for await (const frame of storage.readSnapshot()) frames.push(Buffer.from(frame));
    return frames;
  }

  it("reads back the frames written, in order, through one buffer grown to the largest", async () => {
    const storage = await createFileIndexStorage(await kit.tempDir());
    const frames = [
      Buffer.from("head"),
      Buffer.alloc(0),
      Buffer.alloc(3 * 1024 * 1024, 7),
      Buffer.from("tail"),
    ];
    await storage.writeSnapshot(frames);
    const read = await framesOf(storage);
    // Buffer.equals, not toEqual: comparing 3 MiB byte by byte through the matcher takes seconds.
    expect(read.map((frame, n) => frame.equals(frames[n]!))).toEqual([true, true, true, true]);
    const buffers = new Set<ArrayBufferLike>();
    for await (const frame of storage.readSnapshot()) buffers.add(frame.buffer);
    expect(buffers.size).toBeLessThanOrEqual(2); // the first small buffer, then the one grown for 3 MiB
    await storage.writeSnapshot([]);
    expect(await framesOf(storage)).toEqual([]);
  });

  it("throws for a file cut short, one of another format, and reads none where there is no file", async () => {
    const directory = await kit.tempDir();
    const path = join(directory, "summaries.snapshot");
    const storage = await createFileIndexStorage(directory);
    expect(await framesOf(storage)).toEqual([]);
    await storage.writeSnapshot([Buffer.from("one"), Buffer.alloc(1000, 1)]);
    const whole = await readFile(path);
    for (const cut of [whole.length - 1, whole.length - 1000, 10, 13]) {
      await writeFile(path, whole.subarray(0, cut));
      await expect(framesOf(storage)).rejects.toThrow(SnapshotFileError);
    }
    // What an earlier version wrote: one V8 serialisation, no frames.
    await writeFile(path, serialize({ format: 2, id: "x", summaries: [] }));
    await expect(framesOf(storage)).rejects.toThrow(/not a snapshot of this version/);
  });

  it("a prefetch only reads the file through: a snapshot replaced after it is what is read", async () => {
    const directory = await kit.tempDir();
    const first = await createFileIndexStorage(directory);
    await first.writeSnapshot([Buffer.from("old")]);
    const storage = await createFileIndexStorage(directory, { prefetchSnapshot: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await storage.writeSnapshot([Buffer.from("new")]);
    expect((await framesOf(storage)).map(String)).toEqual(["new"]);
    expect(await readdir(directory)).not.toContain("summaries.snapshot.tmp");
  });
});

describe("file index storage: JSON documents", () => {
  it("writes queued at once, to one document and to several, each land whole; a document larger than the kept buffer too", async () => {
    const directory = await kit.tempDir();
    const storage = await createFileIndexStorage(directory);
    type Doc = { n: number; text: string };
    // Multi-byte text (3 bytes per character), so a buffer sized by character count would cut it.
    const doc = (n: number, size: number): Doc => ({ n, text: `€${n}`.repeat(size) });
    const writes: Promise<void>[] = [];
    for (let n = 0; n < 20; n++) writes.push(storage.adapter<Doc>(`doc-${n % 4}`).write(doc(n, 50 + n * 10)));
    // About 1.5 MB of UTF-8: past the 512 KB buffer, which grows for it.
    writes.push(storage.adapter<Doc>("big").write(doc(99, 110_000)));
    writes.push(storage.adapter<Doc>("doc-0").write(doc(100, 5)));
    await Promise.all(writes);

    expect((await storage.list()).sort()).toEqual(["big", "doc-0", "doc-1", "doc-2", "doc-3"]);
    // The last write to each document wins, byte for byte.
    expect(await storage.adapter<Doc>("doc-0").read()).toEqual(doc(100, 5));
    for (const n of [17, 18, 19])
      expect(await storage.adapter<Doc>(`doc-${n % 4}`).read()).toEqual(doc(n, 50 + n * 10));
    expect(await readFile(join(directory, "big.json"), "utf8")).toBe(JSON.stringify(doc(99, 110_000)));
    // A smaller document after the big one is not followed by the big one's leftover bytes.
    await storage.adapter<Doc>("big").write(doc(1, 1));
    expect(await readFile(join(directory, "big.json"), "utf8")).toBe(JSON.stringify(doc(1, 1)));
    expect((await readdir(directory)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(await storage.adapter<Doc>("never-written").read()).toBeNull();
  });

  it("a write that fails is reported and does not stop the writes queued after it", async () => {
    const directory = await kit.tempDir();
    const storage = await createFileIndexStorage(directory);
    const failing = storage.adapter<{ a: number }>("nested/none").write({ a: 1 });
    const after = storage.adapter<{ a: number }>("fine").write({ a: 2 });
    await expect(failing).rejects.toThrow(/ENOENT/);
    await after;
    expect(await storage.adapter<{ a: number }>("fine").read()).toEqual({ a: 2 });
  });
});
