import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { messageParser } from "../smtp/parse-message.js";
import { createStoreKit, ingestBuffer, sha256, testMessage } from "../test-support/store-kit.js";
import type { MessageParser } from "./message-store.js";
import type { RawSource } from "./model.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** The main thread's parser, recording where ingest told it the bytes are (what a pool is handed). */
function recordingParser(seen: { kind: RawSource["kind"]; sha256: string }[]): MessageParser {
  return {
    ...messageParser,
    async parseSource(source) {
      // Read now: a temp file is renamed into place once the message is committed.
      const bytes = source.kind === "bytes" ? source.bytes : await readFile(source.path);
      seen.push({ kind: source.kind, sha256: sha256(bytes) });
      if (source.kind === "file") expect(existsSync(source.path)).toBe(true);
      return messageParser.parseSource(source);
    },
  };
}

describe("what ingest hands the parser", () => {
  it("a buffered message as its bytes, a larger one as its temp file's path, both complete", async () => {
    const seen: { kind: RawSource["kind"]; sha256: string }[] = [];
    const { store } = await kit.open(await kit.tempDir(), {
      parser: recordingParser(seen),
      fileStore: { bufferLimit: 4096 },
    });
    const small = testMessage({ subject: "small", text: "fits the buffer" });
    const large = testMessage({ subject: "large", text: "x".repeat(20_000) });

    const storedSmall = await ingestBuffer(store, small);
    const storedLarge = await ingestBuffer(store, large);

    expect(seen).toEqual([
      { kind: "bytes", sha256: sha256(small) },
      { kind: "file", sha256: sha256(large) },
    ]);
    expect((await store.get(storedSmall.id))?.subject).toBe("small");
    expect((await store.get(storedLarge.id))?.subject).toBe("large");
  });

  it("a parser without parseSource is handed a stream, as before", async () => {
    const streamed: string[] = [];
    const parser: MessageParser = {
      parse: (raw) => {
        streamed.push("parse");
        return messageParser.parse(raw);
      },
      attachmentContent: (raw, index) => messageParser.attachmentContent(raw, index),
    };
    const { store } = await kit.open(null, { parser });

    const stored = await ingestBuffer(store, testMessage({ subject: "streamed" }));

    expect(streamed).toEqual(["parse"]);
    expect(stored.subject).toBe("streamed");
  });
});
