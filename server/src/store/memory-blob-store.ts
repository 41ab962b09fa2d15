import { Readable } from "node:stream";
import type { BlobScan, BlobStore, RawSink } from "./blob-store.js";
import type { RawSource } from "./model.js";
import { parseSidecar, type Sidecar, serializeSidecar } from "./sidecar.js";

/** `--in-memory` mode: the same contract as the file store, nothing written to disk. */
export function createMemoryBlobStore(): BlobStore {
  const raws = new Map<string, Buffer>();
  // Sidecars are kept serialised, like on disk, so callers never share objects with the store.
  const sidecars = new Map<string, string>();

  return {
    async createSink() {
      return new MemorySink();
    },
    async commit(sink, id, sidecar) {
      if (!(sink instanceof MemorySink)) throw new TypeError("Not a sink of this store");
      sidecars.set(id, serializeSidecar(sidecar));
      raws.set(id, sink.bytes());
    },
    async readRaw(id) {
      const raw = raws.get(id);
      return raw === undefined ? null : Readable.from([raw]);
    },
    async rawSize(id) {
      return raws.get(id)?.length ?? null;
    },
    async readSidecar(id) {
      const json = sidecars.get(id);
      return json === undefined ? null : parseSidecar(json, id);
    },
    readSidecarSync(id) {
      const json = sidecars.get(id);
      return json === undefined ? null : parseSidecar(json, id);
    },
    async hasSidecar(id) {
      return sidecars.has(id);
    },
    async writeSidecar(sidecar: Sidecar) {
      sidecars.set(sidecar.id, serializeSidecar(sidecar));
    },
    async remove(id) {
      raws.delete(id);
      sidecars.delete(id);
    },
    async scan(): Promise<BlobScan> {
      return {
        raw: new Set(raws.keys()),
        orphanSidecars: new Set([...sidecars.keys()].filter((id) => !raws.has(id))),
      };
    },
    cleanShutdown: false,
    async close() {},
  };
}

class MemorySink implements RawSink {
  #chunks: Buffer[] = [];
  #bytes: Buffer | null = null;

  async write(chunk: Buffer): Promise<void> {
    this.#chunks.push(chunk);
  }

  async end(): Promise<void> {
    this.#bytes = Buffer.concat(this.#chunks);
    this.#chunks = [];
  }

  async sync(): Promise<void> {}

  read(): Readable {
    return Readable.from([this.bytes()]);
  }

  source(): RawSource {
    return { kind: "bytes", bytes: this.bytes() };
  }

  bytes(): Buffer {
    if (this.#bytes === null) throw new Error("MemorySink read before end()");
    return this.#bytes;
  }

  async discard(): Promise<void> {
    this.#chunks = [];
    this.#bytes = null;
  }
}
