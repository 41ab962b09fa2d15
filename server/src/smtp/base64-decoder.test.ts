import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../test-support/seeded-random.js";

/**
 * The base64 decoder mailparser's MIME splitter uses (libbase64, as patched by
 * patches/libbase64@1.4.1.patch: a chunk of plain base64 lines is decoded without first removing its
 * line breaks with a regular expression). Resolved the way the splitter resolves it.
 */
const fromSplitter = createRequire(
  createRequire(createRequire(import.meta.url).resolve("mailparser")).resolve("@zone-eu/mailsplit"),
);
const libbase64 = fromSplitter("libbase64") as {
  decode(text: string): Buffer;
  Decoder: new () => NodeJS.ReadWriteStream & { _transform: { toString(): string } };
};

/** libbase64 1.4.1's own streaming algorithm (its Decoder before the patch), the oracle. */
function referenceDecode(chunks: Buffer[]): Buffer {
  const output: Buffer[] = [];
  let carry = "";
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    let b64 = carry + chunk.toString("latin1");
    carry = "";
    b64 = b64.replace(/[^a-zA-Z0-9+/=]/g, "");
    let padded = "";
    const lastPad = b64.lastIndexOf("=");
    if (lastPad >= 0) {
      padded = b64.slice(0, lastPad + 1);
      b64 = b64.slice(lastPad + 1);
    }
    if (b64.length < 4) {
      carry = b64;
      b64 = "";
    } else if (b64.length % 4) {
      carry = b64.slice(-(b64.length % 4));
      b64 = b64.slice(0, b64.length - carry.length);
    }
    b64 = padded + b64;
    if (b64) output.push(libbase64.decode(b64));
  }
  if (carry) output.push(libbase64.decode(carry));
  return Buffer.concat(output);
}

async function streamDecode(chunks: Buffer[]): Promise<Buffer> {
  const output: Buffer[] = [];
  const decoder = Readable.from(chunks, { objectMode: false }).pipe(new libbase64.Decoder());
  for await (const piece of decoder) output.push(piece as Buffer);
  return Buffer.concat(output);
}

const BREAKS = ["\r\n", "\n", "\r", ""];
/** What a sender may put among base64 lines: padding, base64url's characters, spaces, 8-bit bytes. */
const JUNK = ["=", "==", "-", "_", " ", "\t", ".", "\u0080", "\u00ff", "*"];

function encoded(next: () => number): Buffer {
  const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)));
  let text = bytes.toString("base64");
  if (next() < 0.3) text = text.replace(/=+$/, "");
  const width = 4 + Math.floor(next() * 76);
  const lineBreak = BREAKS[Math.floor(next() * BREAKS.length)] ?? "\r\n";
  let out = "";
  for (let at = 0; at < text.length; at += width) {
    out += text.slice(at, at + width) + lineBreak;
    if (next() < 0.05) out += JUNK[Math.floor(next() * JUNK.length)];
  }
  return Buffer.from(out, "latin1");
}

function cut(bytes: Buffer, next: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(next() * (next() < 0.5 ? 8 : 200));
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe("the base64 decoder under mailparser", () => {
  it("is the patched one (its fast path for plain base64 lines is there)", () => {
    expect(libbase64.Decoder.prototype._transform.toString()).toContain("decodeCleanChunk");
  });

  it("decodes what libbase64's own algorithm decodes, for lines, junk and padding cut anywhere", async () => {
    const next = seededRandom(1204);
    for (let attempt = 0; attempt < 2_000; attempt += 1) {
      const chunks = cut(encoded(next), next);
      const expected = referenceDecode(chunks);
      const actual = await streamDecode(chunks);
      if (!actual.equals(expected)) {
        expect({
          input: chunks.map((chunk) => chunk.toString("latin1")),
          output: actual.toString("hex"),
        }).toEqual({
          input: chunks.map((chunk) => chunk.toString("latin1")),
          output: expected.toString("hex"),
        });
      }
    }
  });

  it("decodes a 1 MiB attachment's base64 lines, fed in 16 KiB pieces, to the same bytes", async () => {
    const bytes = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, index) => (index * 7919) % 251));
    const text = bytes.toString("base64").replace(/.{76}/g, "$&\r\n");
    const input = Buffer.from(text, "latin1");
    const chunks: Buffer[] = [];
    for (let at = 0; at < input.length; at += 16 * 1024) chunks.push(input.subarray(at, at + 16 * 1024));
    expect((await streamDecode(chunks)).equals(bytes)).toBe(true);
  });
});
