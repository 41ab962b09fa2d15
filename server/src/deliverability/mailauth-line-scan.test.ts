import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../test-support/seeded-random.js";
import { lineScanMethods, type MessageParserMethods, upstreamMethods } from "./mailauth-line-scan.js";
import { dkimVerify } from "./mailauth-parts.js";

const require = createRequire(import.meta.url);
const { MessageParser } = require("mailauth/lib/dkim/message-parser.js") as {
  MessageParser: new () => MessageParserMethods & {
    writeAsync(chunk: Buffer): Promise<void>;
    finish(): Promise<void>;
  };
};
const { parseHeaders } = require("mailauth/lib/tools.js") as { parseHeaders: (buffer: Buffer) => unknown };

/** Upstream's methods: kept aside once mailauth-parts.ts has replaced them, else still on the prototype. */
function upstream(): MessageParserMethods {
  // Loading the parts installs the replacement; verifying once makes sure that has happened.
  return (
    upstreamMethods(MessageParser.prototype) ?? {
      processChunk: MessageParser.prototype.processChunk,
      ensureLinebreaks: MessageParser.prototype.ensureLinebreaks,
    }
  );
}

/** Feeds `chunks` through a parser using `methods` and records what it hands on: headers and body pieces. */
async function run(methods: MessageParserMethods, chunks: Buffer[]): Promise<unknown[]> {
  const events: unknown[] = [];
  const parser = new MessageParser() as unknown as Record<string, unknown> & {
    writeAsync(chunk: Buffer): Promise<void>;
    finish(): Promise<void>;
  };
  parser.processChunk = methods.processChunk;
  parser.ensureLinebreaks = methods.ensureLinebreaks;
  parser.messageHeaders = async (headers: unknown) => {
    events.push({ headers });
  };
  parser.nextChunk = async (chunk: Buffer) => {
    events.push({ body: chunk.toString("latin1") });
  };
  for (const chunk of chunks) await parser.writeAsync(chunk);
  await parser.finish();
  return events;
}

/** Pieces that make line ends and header ends likely, in every combination. */
const PIECES = ["\r\n", "\n", "\r", "\n\n", "\r\n\r\n", "\n\r\n", "a", "Subject: x", ": ", " ", "\t"];

function message(next: () => number): Buffer {
  const count = Math.floor(next() * 24);
  let text = "";
  for (let index = 0; index < count; index += 1) text += PIECES[Math.floor(next() * PIECES.length)];
  return Buffer.from(text, "latin1");
}

/** `bytes` cut at up to three random places. */
function cut(bytes: Buffer, next: () => number): Buffer[] {
  const cuts = [
    ...new Set(Array.from({ length: Math.floor(next() * 4) }, () => Math.floor(next() * (bytes.length + 1)))),
  ].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}

describe("mailauth's message parser with line ends found by indexOf", () => {
  const ours = lineScanMethods(parseHeaders);

  it("hands on the same headers and body pieces as upstream's, for messages cut anywhere", async () => {
    await dkimVerify(Buffer.from("From: a@example.test\r\n\r\nHi\r\n"), {
      resolver: async () => {
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    });
    const reference = upstream();
    expect(reference.processChunk).not.toBe(ours.processChunk);
    const next = seededRandom(18);
    for (let attempt = 0; attempt < 3_000; attempt += 1) {
      const bytes = message(next);
      const chunks = cut(bytes, next);
      const expected = await run(reference, chunks);
      const actual = await run(ours, chunks);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        expect({ input: chunks.map((chunk) => chunk.toString("latin1")), actual }).toEqual({
          input: chunks.map((chunk) => chunk.toString("latin1")),
          actual: expected,
        });
      }
    }
  });

  it("finds a header end split between chunks: CR LF | CR LF, and LF | LF", async () => {
    const header = "From: a@example.test\r\nSubject: s\r\n";
    for (const chunks of [
      [header, "\r\nbody\r\n"],
      [`${header}\r`, "\nbody\r\n"],
      ["From: a@example.test\n", "\nbody\n"],
      ["From: a@example.test\r\n\r", "\n", "body"],
    ]) {
      const events = await run(
        ours,
        chunks.map((chunk) => Buffer.from(chunk)),
      );
      expect(events[0]).toHaveProperty("headers");
      expect(
        events
          .slice(1)
          .map((event) => (event as { body: string }).body)
          .join(""),
      ).toMatch(/^body\r\n|^body$/);
    }
  });

  it("turns bare LFs into CR LF as upstream does, and keeps the second LF of CR LF LF bare", () => {
    const lines = (input: string, lastByte?: number) => {
      const state = { lastByte } as unknown as ThisParameterType<MessageParserMethods["ensureLinebreaks"]>;
      return [...ours.ensureLinebreaks.call(state, Buffer.from(input))].map((piece) => piece.toString());
    };
    expect(lines("a\r\nb\r\n")).toEqual(["a\r\nb\r\n"]);
    expect(lines("a\nb\n")).toEqual(["a\r\n", "b\r\n"]);
    expect(lines("a\r\n\nb")).toEqual(["a\r\n\nb"]);
    expect(lines("\nb", 0x0d)).toEqual(["\nb"]);
    expect(lines("\nb", 0x61)).toEqual(["\r\n", "b"]);
  });
});
