import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  declaredRecordBytes,
  decodeRecord,
  NO_SNIPPET,
  RECORD_HEADER_BYTES,
  RecordEncoder,
  snippetOfRecord,
} from "./search-text-record.js";

const ID = "01jd0000000000000000000000";

describe("RecordEncoder", () => {
  it("encodes records that decode to their sequence, id, snippet and UTF-8 text, small, multi-byte and past its kept buffer", () => {
    const encoder = new RecordEncoder();
    for (const [snippet, text] of [
      ["", ""],
      ["Hello", "hello"],
      ["Grüße — 東京 ✉️", "grüße — 東京 ✉️"],
      ["x".repeat(200), "x".repeat(64 * 1024)],
      ["é".repeat(200), "é".repeat(40 * 1024)],
      ["Tail", "tail"],
    ] as const) {
      const encoded = encoder.encode(42, ID, snippet, text);
      const snippetBytes = Buffer.byteLength(snippet);
      expect(encoded.record.length).toBe(RECORD_HEADER_BYTES + snippetBytes + Buffer.byteLength(text));
      expect(encoded.snippetBytes).toBe(snippetBytes);
      expect(encoded.text.toString("utf8")).toBe(text);
      expect(declaredRecordBytes(encoded.record, 0)).toBe(encoded.record.length);
      expect(decodeRecord(encoded.record, 0, 1000)).toEqual({
        sequence: 42,
        id: ID,
        offset: 1000,
        snippetBytes,
        textBytes: encoded.text.length,
      });
      // The header and the snippet are enough to read the snippet back, for that sequence only.
      const head = encoded.record.subarray(0, RECORD_HEADER_BYTES + snippetBytes);
      expect(snippetOfRecord(head, 42)).toBe(snippet);
      expect(snippetOfRecord(head, 43)).toBeNull();
    }
  });

  it("writes every record into the buffer it keeps: the views it returned before change (the caller copies)", () => {
    const encoder = new RecordEncoder();
    const first = encoder.encode(1, ID, "First", "first message");
    const copy = Buffer.from(first.record);
    encoder.encode(2, ID, "Second", "second message");
    expect(first.record.equals(copy)).toBe(false);
    expect(decodeRecord(copy, 0, 0)).toMatchObject({ sequence: 1, textBytes: "first message".length });
  });

  it("checksums header, snippet and text: a changed byte of any makes the record unreadable", () => {
    const { record } = new RecordEncoder().encode(7, ID, "Snip", "some text");
    for (const at of [9, RECORD_HEADER_BYTES + 1, RECORD_HEADER_BYTES + 6]) {
      const changed = Buffer.from(record);
      changed.writeUInt8(changed.readUInt8(at) ^ 1, at);
      expect(decodeRecord(changed, 0, 0), `byte ${at}`).toBeNull();
    }
  });

  it("refuses a snippet longer than a record holds", () => {
    expect(() => new RecordEncoder().encode(1, ID, "x".repeat(5000), "text")).toThrow(RangeError);
  });
});

describe("records written before snippets were kept", () => {
  /** A record as Mailnest wrote it before: magic "MNST", no snippet, zero where its length now is. */
  function oldRecord(sequence: number, text: string): Buffer {
    const body = Buffer.from(text, "utf8");
    const header = Buffer.alloc(RECORD_HEADER_BYTES);
    header.writeUInt32BE(0x4d4e5354, 0);
    header.writeUInt32BE(body.length, 4);
    header.writeDoubleLE(sequence, 8);
    header.write(ID, 16, 26, "latin1");
    header.writeUInt32BE(crc32(body, crc32(header.subarray(0, 44))), 44);
    return Buffer.concat([header, body]);
  }

  it("still decode, as records without a snippet", () => {
    const record = oldRecord(5, "old text");
    expect(decodeRecord(record, 0, 0)).toEqual({
      sequence: 5,
      id: ID,
      offset: 0,
      snippetBytes: NO_SNIPPET,
      textBytes: "old text".length,
    });
    expect(declaredRecordBytes(record, 0)).toBe(record.length);
    expect(snippetOfRecord(record, 5)).toBeNull();
  });
});
