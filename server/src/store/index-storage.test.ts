import { readFile, rename, rm, writeFile } from "node:fs/promises";
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
