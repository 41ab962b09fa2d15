import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { MessageAuthentication } from "@mailnest/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { unfinishedAuthentication } from "../deliverability/unfinished-verification.js";
import { messageParser } from "../smtp/parse-message.js";
import { createStoreKit, ingestBuffer, sha256, testMessage } from "../test-support/store-kit.js";
import type { MessageParser } from "./message-store.js";
import type { RawSource } from "./model.js";

const kit = createStoreKit();

/** Verdicts that name what they were computed from, in their Authentication-Results field. */
function verdicts(label: string): MessageAuthentication {
  const input = { raw: Buffer.alloc(0), ip: "127.0.0.1", helo: "client.test", mailFrom: "" };
  return unfinishedAuthentication(input, label, {
    mode: "zone",
    authservId: label,
    lookups: [],
    durationMs: 0,
  });
}
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

  it("the verifier gets the bytes (or the temp file) before parsing starts, so the two overlap", async () => {
    const order: string[] = [];
    const parser: MessageParser = {
      ...messageParser,
      parseSource(source) {
        order.push(`parse ${source.kind}`);
        return messageParser.parseSource(source);
      },
    };
    const { store } = await kit.open(await kit.tempDir(), {
      parser,
      fileStore: { bufferLimit: 4096 },
      authenticator: {
        async authenticate(source, envelope, size) {
          // Synchronously, before the first await: what a verifier thread is handed at once.
          order.push(`verify ${source.kind}`);
          const bytes = source.kind === "bytes" ? source.bytes : await readFile(source.path);
          expect(bytes.length).toBe(size);
          return verdicts(`${envelope.mailFrom} ${sha256(bytes)}`);
        },
      },
    });
    const small = testMessage({ subject: "small" });
    const large = testMessage({ subject: "large", text: "x".repeat(20_000) });

    const storedSmall = await ingestBuffer(store, small);
    const storedLarge = await ingestBuffer(store, large);

    expect(order).toEqual(["verify bytes", "parse bytes", "verify file", "parse file"]);
    expect(storedSmall.authentication?.authenticationResults).toContain(sha256(small));
    expect((await store.get(storedLarge.id))?.authentication?.authenticationResults).toContain(sha256(large));
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
