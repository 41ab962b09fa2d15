import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit } from "../test-support/store-kit.js";
import { scanSegment, scanSegmentFile } from "./segment-file-scan.js";
import { encodeMessageRecord, encodeTombstone } from "./wal-record.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

const id = (n: number) => `01jz4k8q3m2x7v9c0b5n6t1r${String(n).padStart(2, "0")}`;
const sidecarOf = (n: number) => JSON.stringify({ version: 1, id: id(n), sequence: n, inboxes: [] });

/** Records of varied sizes (tombstones, empty, small, one longer than any window below), framed as a segment holds them. */
function segmentBytes(): Buffer {
  const frames: Buffer[] = [];
  for (let n = 0; n < 24; n += 1) {
    if (n % 7 === 3) frames.push(...encodeTombstone(id(n - 1)));
    else
      frames.push(...encodeMessageRecord(sidecarOf(n), Buffer.alloc(n === 11 ? 5_000 : (n * 37) % 300, n)));
  }
  return Buffer.concat(frames);
}

/** Writes `bytes` as a segment and scans it with each window size, expecting what the whole-buffer scan finds. */
async function expectSameAsWholeScan(bytes: Buffer) {
  const path = join(await kit.tempDir(), "000000000001.seg");
  await writeFile(path, bytes);
  const whole = scanSegment(bytes);
  for (const window of [12, 13, 64, 301, 4096, 1 << 20]) {
    const scan = scanSegmentFile(path, window);
    expect({ window, ...scan }).toEqual({ window, ...whole, length: bytes.length });
  }
  return whole;
}

describe("scanSegmentFile", () => {
  it("finds every record through any window size, records longer than the window included", async () => {
    const whole = await expectSameAsWholeScan(segmentBytes());
    expect(whole.positions).toHaveLength(24);
    expect(whole.positions.filter((position) => position.kind === "tombstone")).toHaveLength(3);
  });

  it("stops at a torn tail, as the whole-buffer scan does", async () => {
    const bytes = segmentBytes();
    for (const cut of [bytes.length - 1, bytes.length - 2_000, 5, 0]) {
      const whole = await expectSameAsWholeScan(bytes.subarray(0, cut));
      expect(whole.validLength).toBeLessThanOrEqual(cut);
    }
  });

  it("skips a damaged record in the middle and carries on, across windows", async () => {
    const bytes = segmentBytes();
    const positions = scanSegment(bytes).positions;
    for (const damaged of [1, 11, 20]) {
      const copy = Buffer.from(bytes);
      const at = positions[damaged]!;
      copy[at.offset + at.frameLength - 1]! ^= 0x01;
      const whole = await expectSameAsWholeScan(copy);
      expect(whole.skipped).toEqual([[at.offset, at.frameLength]]);
      expect(whole.positions).toHaveLength(23);
    }
  });

  it("reads garbage and an empty file as no records", async () => {
    await expectSameAsWholeScan(Buffer.alloc(0));
    await expectSameAsWholeScan(Buffer.from("not a segment at all, only text that is longer than a window"));
    // A frame's magic with a length that points past the end: a torn tail, not a record.
    await expectSameAsWholeScan(
      Buffer.concat([Buffer.from("MNWL"), Buffer.from([0, 0, 1, 0]), Buffer.alloc(20)]),
    );
  });
});
