import { describe, expect, it } from "vitest";
import { decodeRecord, RECORD_HEADER_BYTES, RecordEncoder } from "./search-text-record.js";

const ID = "01jd0000000000000000000000";

describe("RecordEncoder", () => {
  it("encodes records that decode to their sequence, id and UTF-8 text, small, multi-byte and past its kept buffer", () => {
    const encoder = new RecordEncoder();
    for (const text of [
      "",
      "hello",
      "grüße — 東京 ✉️",
      "x".repeat(64 * 1024),
      "é".repeat(40 * 1024),
      "tail",
    ]) {
      const { record, text: bytes } = encoder.encode(42, ID, text);
      expect(record.length).toBe(RECORD_HEADER_BYTES + Buffer.byteLength(text));
      expect(bytes.toString("utf8")).toBe(text);
      expect(decodeRecord(record, 0, 1000)).toEqual({
        sequence: 42,
        id: ID,
        offset: 1000,
        textBytes: bytes.length,
      });
    }
  });

  it("writes every record into the buffer it keeps: the views it returned before change (the caller copies)", () => {
    const encoder = new RecordEncoder();
    const first = encoder.encode(1, ID, "first message");
    const copy = Buffer.from(first.record);
    encoder.encode(2, ID, "second message");
    expect(first.record.equals(copy)).toBe(false);
    expect(decodeRecord(copy, 0, 0)).toMatchObject({ sequence: 1, textBytes: "first message".length });
  });

  it("checksums header and text: a changed byte of either makes the record unreadable", () => {
    const { record } = new RecordEncoder().encode(7, ID, "some text");
    const text = Buffer.from(record);
    text.writeUInt8(text.readUInt8(RECORD_HEADER_BYTES + 2) ^ 1, RECORD_HEADER_BYTES + 2);
    expect(decodeRecord(text, 0, 0)).toBeNull();
    const header = Buffer.from(record);
    header.writeUInt8(header.readUInt8(9) ^ 1, 9);
    expect(decodeRecord(header, 0, 0)).toBeNull();
  });
});
