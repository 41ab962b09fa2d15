import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";
import { parseSidecar } from "./sidecar.js";
import { decodeSegment, encodeMessageRecord, encodeTombstone } from "./wal-record.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** Segments that never rotate during a test, so the log still holds every record. */
const NO_ROTATION = { fileStore: { walSegmentMs: 600_000 } };
/**
 * How stores were written before messages moved into segments (`messages/` + a checkpointed log).
 * They are reopened with segments on: a store of the previous layout stays readable as it is.
 */
const PREVIOUS_LAYOUT = { fileStore: { walSegmentMs: 600_000, messageSegments: false } };
const TO = "ann@mailnest.test";

/** A store on disk holding one message whose visible text says "4711" only in its body. */
async function storeWithOneMessage() {
  const dataDir = await kit.tempDir();
  const { store } = await kit.open(dataDir, PREVIOUS_LAYOUT);
  const stored = await ingestBuffer(
    store,
    testMessage({ subject: "Your code", to: TO, text: "Your code is 4711." }),
    testEnvelope({ rcptTo: [TO], remoteAddress: "192.0.2.7", heloName: "app.example" }),
  );
  return { dataDir, store, stored };
}

/** What 0.1 wrote: the same sidecar without `view.visibleText`. */
function withoutVisibleText(sidecarJson: string): string {
  const sidecar = JSON.parse(sidecarJson) as { view: Record<string, unknown> };
  delete sidecar.view.visibleText;
  return JSON.stringify(sidecar);
}

describe("a message stored by 0.1 (no visibleText in its sidecar)", () => {
  it("is re-parsed when read: get has the visible text, a text search finds it, the envelope stays", async () => {
    const { dataDir, store, stored } = await storeWithOneMessage();
    await store.close();
    const sidecarPath = join(dataDir, "messages", `${stored.id}.json`);
    await writeFile(sidecarPath, withoutVisibleText(await readFile(sidecarPath, "utf8")));

    const { store: reopened } = await kit.open(dataDir, NO_ROTATION);
    const message = await reopened.get(stored.id);
    expect(message?.visibleText).toBe(stored.visibleText);
    expect(message?.visibleText).toContain("4711");
    // Not in the .eml, so a re-parse must not lose them.
    expect(message?.envelope).toEqual(stored.envelope);
    const found = await reopened.list({ text: "code is 4711", limit: 10 });
    expect(found.messages.map((m) => m.id)).toEqual([stored.id]);
    // Written back: the next read is an ordinary one.
    expect(parseSidecar(await readFile(sidecarPath, "utf8"))?.view.visibleText).toBe(stored.visibleText);
  });

  it("is re-parsed when its sidecar comes back from a write-ahead-log record of 0.1", async () => {
    const { dataDir, store, stored } = await storeWithOneMessage();
    // A crash before the log was checkpointed: the copy is what a restart finds.
    const crashed = await kit.crashCopy(dataDir);
    await store.close();
    const [segment] = (await readdir(join(crashed, "wal"))).filter((name) => name.endsWith(".wal"));
    const segmentPath = join(crashed, "wal", segment!);
    const { records } = decodeSegment(await readFile(segmentPath));
    expect(records.map((record) => record.kind)).toEqual(["message"]);
    const frames = records.flatMap((record) =>
      record.kind === "message"
        ? encodeMessageRecord(withoutVisibleText(JSON.stringify(record.sidecar)), record.raw)
        : encodeTombstone(record.id),
    );
    await writeFile(segmentPath, Buffer.concat(frames));
    // Replay restores a missing sidecar from its record.
    await rm(join(crashed, "messages", `${stored.id}.json`));

    const { store: reopened } = await kit.open(crashed, NO_ROTATION);
    const found = await reopened.list({ text: "code is 4711", limit: 10 });
    expect(found.messages.map((m) => m.id)).toEqual([stored.id]);
    const message = await reopened.get(stored.id);
    expect(message?.visibleText).toBe(stored.visibleText);
    expect(message?.envelope).toEqual(stored.envelope);
  });
});
