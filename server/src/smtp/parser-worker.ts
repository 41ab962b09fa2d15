import { parentPort } from "node:worker_threads";
import type { RawSource } from "../store/model.js";
import { createMessageParser } from "./parse-message.js";
import type { ParseReply, ParseRequest } from "./parser-messages.js";

/**
 * A parsing thread (parser-pool.ts): the same parser the main thread would run, fed one message at a
 * time. `parseSource` never rejects (bad MIME gives a view with `parseError`), so every request is
 * answered unless the thread itself dies, which the pool sees and handles.
 */
const parser = createMessageParser();

parentPort?.on("message", ({ id, source }: ParseRequest) => {
  const raw: RawSource =
    source.kind === "bytes"
      ? {
          kind: "bytes",
          bytes: Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength),
        }
      : source;
  void parser.parseSource(raw).then((view) => {
    parentPort?.postMessage({ kind: "parsed", id, view } satisfies ParseReply);
  });
});
parentPort?.postMessage({ kind: "ready" } satisfies ParseReply);
