import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, readAll, testMessage } from "../test-support/store-kit.js";
import { cutStoredRaw, flipLastStoredRawByte, storedRawRange } from "../test-support/stored-raw.js";
import { isMessageDamagedError, type MessageDamagedError } from "./errors.js";
import { VERIFY_WHOLE_LIMIT } from "./raw-integrity.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

const emlPath = (dataDir: string, id: string) => join(dataDir, "messages", `${id}.eml`);

async function flipLastByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
}

async function rejection(promise: Promise<unknown>): Promise<MessageDamagedError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isMessageDamagedError(error)) throw new Error(`expected a MessageDamagedError, got ${String(error)}`);
  return error;
}

/** A message above the whole-read limit, so it is checked while it streams. */
function largeMessage(): Buffer {
  return testMessage({ subject: "large", text: "x".repeat(VERIFY_WHOLE_LIMIT + 4096) });
}

describe("what is served is what was stored", () => {
  it("refuses truncated raw bytes before sending a byte, naming the message and both sizes", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const message = await ingestBuffer(store, testMessage({ subject: "cut short" }));
    await cutStoredRaw(dataDir, message.id, message.size - 10);

    const error = await rejection(store.readRaw(message.id));
    expect(error.message).toBe(
      `Message ${message.id} is damaged: recorded ${message.size} bytes with sha256 ${message.sha256}, found ${message.size - 10} bytes`,
    );
    expect(error).toMatchObject({
      id: message.id,
      expected: { size: message.size, sha256: message.sha256 },
      found: { size: message.size - 10, sha256: null },
    });
    expect(store.damagedCount).toBe(1);
  });

  it("refuses a small message whose bytes changed in its segment but not its size, before sending a byte", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const message = await ingestBuffer(store, testMessage({ subject: "edited" }));
    await flipLastStoredRawByte(dataDir, message.id);

    const error = await rejection(store.readRaw(message.id));
    expect(error.message).toMatch(
      new RegExp(
        `^Message ${message.id} is damaged: recorded ${message.size} bytes with sha256 ${message.sha256}, found ${message.size} bytes with sha256 [0-9a-f]{64}$`,
      ),
    );
    expect(error.found.sha256).not.toBe(message.sha256);
  });

  it("fails a large message's stream at its end when the content changed, and refuses a truncated one up front", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const edited = await ingestBuffer(store, largeMessage());
    const truncated = await ingestBuffer(store, largeMessage());
    await flipLastByte(emlPath(dataDir, edited.id));
    await truncate(emlPath(dataDir, truncated.id), VERIFY_WHOLE_LIMIT);

    const stream = await store.readRaw(edited.id);
    const error = await rejection(readAll(stream));
    expect(error.id).toBe(edited.id);
    expect(stream?.destroyed).toBe(true);
    expect((await rejection(store.readRaw(truncated.id))).found.size).toBe(VERIFY_WHOLE_LIMIT);
    expect(store.damagedCount).toBe(2);
  });

  it("calls a message whose .eml vanished damaged, not missing: its summary is still listed", async () => {
    const dataDir = await kit.tempDir();
    // The files layout (large messages, stores written before segments): a file can vanish alone.
    const { store } = await kit.open(dataDir, { fileStore: { messageSegments: false } });
    const message = await ingestBuffer(store, testMessage());
    await rm(emlPath(dataDir, message.id));
    const error = await rejection(store.readRaw(message.id));
    expect(error.message).toMatch(/but its raw file is missing$/);
  });

  it("refuses to cut an attachment out of damaged bytes", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const raw = Buffer.from(
      [
        "Subject: with attachment",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        "Content-Type: text/plain",
        "",
        "body",
        "--b",
        'Content-Type: application/octet-stream; name="a.bin"',
        "Content-Transfer-Encoding: base64",
        "",
        "AAECAwQFBgcICQ==",
        "--b--",
        "",
      ].join("\r\n"),
    );
    const message = await ingestBuffer(store, raw);
    const attachmentId = message.attachments[0]?.id ?? "";
    expect(
      await readAll((await store.readAttachment(message.id, attachmentId))?.content ?? null),
    ).toHaveLength(10);
    await flipLastStoredRawByte(dataDir, message.id);
    expect((await rejection(store.readAttachment(message.id, attachmentId))).id).toBe(message.id);
  });

  it("serves intact messages byte for byte, small and large, on disk and in memory", async () => {
    for (const dataDir of [await kit.tempDir(), null]) {
      const { store } = await kit.open(dataDir);
      for (const raw of [testMessage(), largeMessage()]) {
        const message = await ingestBuffer(store, raw);
        expect((await readAll(await store.readRaw(message.id))).equals(raw)).toBe(true);
      }
      expect(store.damagedCount).toBe(0);
    }
  });

  it("a check reads every message and lists the damaged ones; deleting or restoring one clears it", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    const intact = await ingestBuffer(store, testMessage({ subject: "intact" }));
    const edited = await ingestBuffer(store, testMessage({ subject: "edited" }));
    // Last, so cutting its segment cuts nothing else.
    const cut = await ingestBuffer(store, testMessage({ subject: "cut" }));
    const editedRange = await storedRawRange(dataDir, edited.id);
    await cutStoredRaw(dataDir, cut.id, 3);
    await flipLastStoredRawByte(dataDir, edited.id, editedRange);
    expect(store.damagedCount).toBe(0);

    const report = await store.checkIntegrity();
    expect(report.checked).toBe(3);
    expect(report.damaged.map((damage) => damage.id)).toEqual([edited.id, cut.id]);
    expect(store.damagedCount).toBe(2);
    expect((await readAll(await store.readRaw(intact.id))).length).toBe(intact.size);

    await flipLastStoredRawByte(dataDir, edited.id, editedRange);
    expect((await store.checkIntegrity()).damaged.map((damage) => damage.id)).toEqual([cut.id]);
    await store.deleteMessage(cut.id);
    expect(store.damagedCount).toBe(0);
    expect(await store.checkIntegrity()).toEqual({ checked: 2, damaged: [] });
  });
});
