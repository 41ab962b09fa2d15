import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openZeroFilledFile } from "./zero-filled-file.js";

const directories: string[] = [];
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

async function newPath(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "mailnest-zero-filled-"));
  directories.push(directory);
  return join(directory, "000000000001.seg");
}

/** Records of 1–9 KB, each different, so a stretch of zeros written over one shows. */
function records(count: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(1024 + Math.floor(Math.random() * 8 * 1024)));
}

describe("a segment file with zeros written ahead of its records", () => {
  it("keeps zeros ahead of the records while open, and close cuts it to exactly its records", async () => {
    const path = await newPath();
    const file = await openZeroFilledFile(path, {
      fillBytes: 64 * 1024,
      lowWaterBytes: 128 * 1024,
      gapBytes: 16 * 1024,
    });
    const written = records(200);
    for (const [n, record] of written.entries()) {
      // Split in two, as a record's header and raw bytes are.
      await file.append([record.subarray(0, 100), record.subarray(100)]);
      if (n % 10 === 0) await file.datasync();
    }
    const total = written.reduce((sum, record) => sum + record.length, 0);
    await file.datasync();
    // What a kill -9 now would leave: the records, then zeros.
    const open = await readFile(path);
    expect(open.length).toBeGreaterThan(total);
    expect(open.subarray(0, total).equals(Buffer.concat(written))).toBe(true);
    expect(open.subarray(total).every((byte) => byte === 0)).toBe(true);

    await file.close();
    expect((await stat(path)).size).toBe(total);
    expect((await readFile(path)).equals(Buffer.concat(written))).toBe(true);
  });

  it("an append that reaches a fill still in flight waits for it: no record is overwritten with zeros", async () => {
    // No gap, so each fill starts right where the records end and the next append reaches it at
    // once: written without waiting, the fill's zeros (from the thread pool) land after it.
    for (let round = 0; round < 20; round++) {
      const path = await newPath();
      const file = await openZeroFilledFile(path, {
        fillBytes: 1024 * 1024,
        lowWaterBytes: 2 * 1024 * 1024,
        gapBytes: 0,
      });
      const written = records(8);
      for (const record of written) await file.append([record]);
      await file.close();
      expect((await readFile(path)).equals(Buffer.concat(written))).toBe(true);
    }
  });

  it("opens an existing file without cutting it, and appends after what it holds", async () => {
    const path = await newPath();
    const first = await openZeroFilledFile(path);
    const before = records(3);
    for (const record of before) await first.append([record]);
    await first.close();
    const second = await openZeroFilledFile(path);
    const after = records(2);
    for (const record of after) await second.append([record]);
    await second.close();
    expect((await readFile(path)).equals(Buffer.concat([...before, ...after]))).toBe(true);
  });
});
