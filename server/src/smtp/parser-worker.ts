import { parentPort } from "node:worker_threads";
import { createIdleHeapRelease } from "../idle-heap-release.js";
import type { RawSource } from "../store/model.js";
import { createMessageParser } from "./parse-message.js";
import type { ParseReply, ParseRequest } from "./parser-messages.js";

/**
 * A parsing thread (parser-pool.ts): the same parser the main thread would run, fed one message at a
 * time. `parseSource` never rejects (bad MIME gives a view with `parseError`), so every request is
 * answered unless the thread itself dies, which the pool sees and handles.
 */
const parser = createMessageParser();
/** A burst's garbage is given back once the thread has been idle a while (idle-heap-release.ts). */
const heap = createIdleHeapRelease();
/** Messages being parsed. */
let running = 0;

parentPort?.on("message", ({ id, source }: ParseRequest) => {
  const raw: RawSource =
    source.kind === "bytes"
      ? {
          kind: "bytes",
          bytes: Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength),
        }
      : source;
  heap.busy();
  running += 1;
  void parser.parseSource(raw).then((view) => {
    parentPort?.postMessage({ kind: "parsed", id, view } satisfies ParseReply);
    running -= 1;
    if (running === 0) heap.idle();
  });
});
parentPort?.postMessage({ kind: "ready" } satisfies ParseReply);
