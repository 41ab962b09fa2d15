import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit } from "../test-support/store-kit.js";
import { createFileIndexStorage } from "./index-storage.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("file index storage: the summaries snapshot", () => {
  it("a prefetch hands its bytes to the first read only; a later read reads the file again", async () => {
    const directory = await kit.tempDir();
    const path = join(directory, "summaries.snapshot");
    const first = Buffer.alloc(3 * 1024 * 1024, 7);
    await writeFile(path, first);

    const storage = await createFileIndexStorage(directory, { prefetchSnapshot: true });
    expect((await storage.readSnapshot())?.equals(first)).toBe(true);
    // Replaced the way a snapshot is written (another file renamed over it).
    await writeFile(`${path}.next`, "replaced after the first read");
    await rename(`${path}.next`, path);
    expect((await storage.readSnapshot())?.toString()).toBe("replaced after the first read");
  });

  it("a snapshot written before the first read replaces what was prefetched", async () => {
    const directory = await kit.tempDir();
    await writeFile(join(directory, "summaries.snapshot"), Buffer.from("old"));
    const storage = await createFileIndexStorage(directory, { prefetchSnapshot: true });
    await storage.writeSnapshot(Buffer.from("new"));
    expect((await storage.readSnapshot())?.toString()).toBe("new");
    expect(await readFile(join(directory, "summaries.snapshot"), "utf8")).toBe("new");
  });

  it("no snapshot reads as null, prefetched or not", async () => {
    const directory = await kit.tempDir();
    const prefetching = await createFileIndexStorage(directory, { prefetchSnapshot: true });
    expect(await prefetching.readSnapshot()).toBeNull();
    await prefetching.writeSnapshot(Buffer.from("x"));
    await rm(join(directory, "summaries.snapshot"));
    expect(await prefetching.readSnapshot()).toBeNull();
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
