import { appendFile, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { Journal } from "./journal.js";
import { decodeLines, encodeLine } from "./journal-line.js";

const cleanup = useCleanup();

/** A toy owner: a list of numbers, each record appends one. */
function counter(file: string | null, compactAfterBytes?: number) {
  const values: number[] = [];
  const warnings: string[] = [];
  const open = () =>
    Journal.open<number>({
      path: file,
      parse: (value) => (typeof value === "number" ? value : null),
      apply: (value) => values.push(value),
      // A snapshot squashes the list into its sum: the rewrite is visibly different from the log.
      snapshot: () => (values.length === 0 ? [] : [values.reduce((a, b) => a + b, 0)]),
      warn: (message) => warnings.push(message),
      ...(compactAfterBytes === undefined ? {} : { compactAfterBytes }),
    });
  return { values, warnings, open };
}

describe("journal lines", () => {
  it("round-trip, and decoding stops at a torn or corrupted line", () => {
    const good = Buffer.concat([encodeLine({ a: 1 }), encodeLine("two\nlines é€😀")]);
    expect(decodeLines(good)).toEqual({
      records: [{ a: 1 }, "two\nlines é€😀"],
      validLength: good.length,
    });
    // The checksum is of the JSON's UTF-8, as written: the same as one computed over the text.
    const [, checksum, json] = /^([0-9a-f]{8}) (.*)\n$/s.exec(encodeLine("é€😀").toString("utf8"))!;
    expect(checksum).toBe(crc32(Buffer.from(json!, "utf8")).toString(16).padStart(8, "0"));
    const torn = Buffer.concat([good, encodeLine([3]).subarray(0, 6)]);
    expect(decodeLines(torn).validLength).toBe(good.length);
    const flipped = Buffer.from(good.toString("utf8").replace('{"a":1}', '{"a":2}'), "utf8");
    expect(decodeLines(flipped)).toEqual({ records: [], validLength: 0 });
  });
});

describe("Journal", () => {
  it("applies a record only once it is durable, and replays it after a reopen", async () => {
    const file = path.join(await tempDir(cleanup), "outbox", "test.journal");
    const first = counter(file);
    const journal = await first.open();
    const appended = journal.append(5);
    expect(first.values).toEqual([]);
    await appended;
    expect(first.values).toEqual([5]);
    await Promise.all([journal.append(1), journal.append(2)]);
    // No close: the process "dies" here. What was acknowledged is on disk.
    const second = counter(file);
    const reopened = await second.open();
    cleanup(() => reopened.close());
    expect(second.values).toEqual([5, 1, 2]);
    await journal.close();
  });

  it("a record appended with durable: false is applied once written and survives a kill (no close)", async () => {
    const file = path.join(await tempDir(cleanup), "j.journal");
    const owner = counter(file);
    const journal = await owner.open();
    await journal.append(9, { durable: false });
    expect(owner.values).toEqual([9]);
    const again = counter(file);
    const reopened = await again.open();
    cleanup(() => reopened.close());
    expect(again.values).toEqual([9]);
    await journal.close();
  });

  it("appends from one tick share one write", async () => {
    const file = path.join(await tempDir(cleanup), "j.journal");
    const owner = counter(file);
    const journal = await owner.open();
    cleanup(() => journal.close());
    const sizeBefore = (await stat(file)).size;
    await Promise.all(Array.from({ length: 100 }, (_, i) => journal.append(i)));
    expect(owner.values).toHaveLength(100);
    const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
    expect(sizeBefore).toBe(0);
    expect(lines).toHaveLength(100);
  });

  it("cuts off a torn tail at open, keeps every whole record, and rewrites the file clean", async () => {
    const file = path.join(await tempDir(cleanup), "j.journal");
    await writeFile(file, Buffer.concat([encodeLine(1), encodeLine(2)]));
    await appendFile(file, encodeLine(3).subarray(0, 7)); // a crash mid-append
    const owner = counter(file);
    const journal = await owner.open();
    cleanup(() => journal.close());
    expect(owner.values).toEqual([1, 2]);
    expect(owner.warnings[0]).toMatch(/dropped 7 bytes of a torn or damaged tail after 2 records/);
    // The rewrite at open is the snapshot (the sum); the next append follows it on a clean line.
    await journal.append(4);
    expect(decodeLines(await readFile(file)).records).toEqual([3, 4]);
  });

  it("compacts once it has grown past the limit, and a reopen rebuilds the same state", async () => {
    const dir = await tempDir(cleanup);
    const file = path.join(dir, "j.journal");
    const owner = counter(file, 200);
    const journal = await owner.open();
    for (let i = 1; i <= 100; i++) await journal.append(i);
    await journal.close();
    const lines = decodeLines(await readFile(file)).records;
    expect(lines.length).toBeLessThan(30);
    const again = counter(file);
    const reopened = await again.open();
    cleanup(() => reopened.close());
    expect(again.values.reduce((a, b) => a + b, 0)).toBe(5050);
    expect(await readdir(dir)).toEqual(["j.journal"]);
  });

  it("with a large live state, waits for as many bytes as a snapshot holds before rewriting it", async () => {
    const file = path.join(await tempDir(cleanup), "j.journal");
    // Nothing squashes: the live state is every record, as with deliveries pending behind a paused endpoint.
    const values: number[] = [];
    const snapshotted: number[] = [];
    const journal = await Journal.open<number>({
      path: file,
      parse: (value) => (typeof value === "number" ? value : null),
      apply: (value) => values.push(value),
      snapshot: () => {
        snapshotted.push(values.length);
        return [...values];
      },
      compactAfterBytes: 200,
    });
    cleanup(() => journal.close());
    for (let i = 0; i < 2_000; i++) await journal.append(1_000_000 + i);
    // One line is 17 bytes: a rewrite every 200 bytes would be about 170 of them, of up to 2,000
    // records each (quadratic); waiting for the snapshot's size makes them double: about 8.
    expect(snapshotted.length).toBeLessThan(12);
    expect(snapshotted.reduce((sum, count) => sum + count, 0)).toBeLessThan(3 * 2_000);
    const size = (await stat(file)).size;
    expect(size).toBeLessThanOrEqual(2 * 17 * 2_000 + 200 + 17);
    expect(values).toHaveLength(2_000);
  });

  it("in memory, applies records and writes nothing", async () => {
    const owner = counter(null);
    const journal = await owner.open();
    await journal.append(7);
    expect(owner.values).toEqual([7]);
    await journal.close();
    await expect(journal.append(8)).rejects.toThrow(/closed/);
  });
});
