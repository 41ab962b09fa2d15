import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";
import {
  dropDataDirReadAheads,
  readAhead,
  readAheadDataDir,
  readWholeFile,
  SEGMENT_LOCATORS,
  SUMMARIES_SNAPSHOT,
  waitingReadAheads,
} from "./read-ahead.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("read-ahead", () => {
  it("hands the bytes read when it started to the first reader only", async () => {
    const path = join(await kit.tempDir(), "file");
    await writeFile(path, "first");
    readAhead(path);
    // Let the read finish, then replace the file: the first reader still gets what was read.
    await readWholeFile(join(path, "..", "file")).then((bytes) => expect(bytes?.toString()).toBe("first"));
    readAhead(path);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(path, "second");
    expect((await readWholeFile(path))?.toString()).toBe("first");
    expect((await readWholeFile(path))?.toString()).toBe("second");
  });

  it("gives null for a file that is not there, and an error for one that cannot be read", async () => {
    const dir = await kit.tempDir();
    readAhead(join(dir, "missing"));
    expect(await readWholeFile(join(dir, "missing"))).toBeNull();
    await mkdir(join(dir, "a-directory"));
    readAhead(join(dir, "a-directory"));
    await expect(readWholeFile(join(dir, "a-directory"))).rejects.toMatchObject({ code: "EISDIR" });
  });

  it("lets go of the reads a store did not take", async () => {
    const dataDir = await kit.tempDir();
    await mkdir(join(dataDir, "segments"));
    await writeFile(join(dataDir, SEGMENT_LOCATORS), "old");
    readAheadDataDir(dataDir);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(join(dataDir, SEGMENT_LOCATORS), "new");
    dropDataDirReadAheads(dataDir);
    expect((await readWholeFile(join(dataDir, SEGMENT_LOCATORS)))?.toString()).toBe("new");
  });

  it("reads the summaries snapshot through without keeping it", async () => {
    const dataDir = await kit.tempDir();
    await mkdir(join(dataDir, "index"));
    await writeFile(join(dataDir, SUMMARIES_SNAPSHOT), Buffer.alloc(3 * 1024 * 1024 + 5));
    readAheadDataDir(dataDir);
    expect(waitingReadAheads()).toEqual([join(dataDir, SEGMENT_LOCATORS)]);
    dropDataDirReadAheads(dataDir);
    expect(waitingReadAheads()).toEqual([]);
  });
});

describe("a store opened after the CLI read ahead", () => {
  async function storeWith(dataDir: string, subjects: string[]) {
    const { store } = await kit.open(dataDir);
    for (const subject of subjects) await ingestBuffer(store, testMessage({ subject }), testEnvelope());
    return store;
  }

  const subjectsIn = async (dataDir: string) => {
    const { store } = await kit.open(dataDir);
    const listed = (await store.list({ limit: 50 })).messages.map((message) => message.subject);
    await store.close();
    return listed;
  };

  it("restarts from the files read ahead", async () => {
    const dataDir = await kit.tempDir();
    await (await storeWith(dataDir, ["one", "two"])).close();
    readAheadDataDir(dataDir);
    expect(await subjectsIn(dataDir)).toEqual(["two", "one"]);
  });

  it("does not trust files read ahead that another writer replaced before the store opened", async () => {
    // The same data directory under a second name: the read-ahead, keyed by path, is not taken by
    // the store opened through the link, which writes a newer snapshot and locator file.
    const dataDir = await kit.tempDir();
    const link = join(await kit.tempDir(), "link");
    await symlink(dataDir, link);
    await (await storeWith(dataDir, ["one", "two"])).close();
    readAheadDataDir(dataDir);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await (await storeWith(link, ["three"])).close();

    expect(await subjectsIn(dataDir)).toEqual(["three", "two", "one"]);
  });

  it("leaves no read waiting once the store is open, or could not be opened", async () => {
    const dataDir = await kit.tempDir();
    const store = await storeWith(dataDir, ["one"]);
    readAheadDataDir(dataDir);
    await expect(kit.open(dataDir)).rejects.toThrow(/in use/);
    expect(waitingReadAheads()).toEqual([]);
    await store.close();

    // An index without its state document is rebuilt from the segments: the snapshot is never read.
    await rm(join(dataDir, "index", "state.json"));
    readAheadDataDir(dataDir);
    expect(waitingReadAheads()).toHaveLength(1); // the locator file (the snapshot is only read through)
    const { store: reopened } = await kit.open(dataDir);
    expect(waitingReadAheads()).toEqual([]);
    expect((await reopened.list({ limit: 50 })).messages.map((message) => message.subject)).toEqual(["one"]);
  });
});
