import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { BlobScan, BlobStore, RawSink } from "./blob-store.js";
import { DirectorySyncer } from "./directory-syncer.js";
import { MESSAGE_ID_PATTERN } from "./model.js";
import { parseSidecar, type Sidecar } from "./sidecar.js";

/** Small messages are written with one system call; large ones in 64 KiB pieces. */
const WRITE_BUFFER_BYTES = 64 * 1024;

/**
 * Layout under the data directory:
 *
 * - `messages/<id>.eml`: the raw bytes exactly as received; its presence is what makes a message exist.
 * - `messages/<id>.json`: the sidecar (envelope, sequence, inboxes, parsed view).
 * - `tmp/`: messages being received; anything here at startup is from a crash and is removed.
 */
export async function createFileBlobStore(dataDir: string): Promise<BlobStore> {
  const messagesDir = join(dataDir, "messages");
  const tmpDir = join(dataDir, "tmp");
  await mkdir(messagesDir, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  const messagesDirSync = await DirectorySyncer.open(messagesDir);

  const rawPath = (id: string) => join(messagesDir, `${id}.eml`);
  const sidecarPath = (id: string) => join(messagesDir, `${id}.json`);
  const tmpPath = (suffix: string) => join(tmpDir, `${randomBytes(12).toString("hex")}${suffix}`);

  return {
    async createSink() {
      return FileSink.create(tmpPath(".eml"));
    },

    async commit(sink, id, sidecar) {
      if (!(sink instanceof FileSink)) throw new TypeError("Not a sink of this store");
      // The sidecar goes straight to its final name: without its .eml it is garbage that the next
      // startup removes. The .eml rename is the commit point.
      try {
        // The raw file's fsync (started by the ingest before parsing) and the sidecar's run together.
        await Promise.all([sink.sync(), writeDurably(sidecarPath(id), JSON.stringify(sidecar))]);
        await rename(sink.path, rawPath(id));
        await messagesDirSync.sync();
      } catch (error) {
        await rm(rawPath(id), { force: true }).catch(() => {});
        await rm(sidecarPath(id), { force: true }).catch(() => {});
        throw error;
      }
    },

    async readRaw(id) {
      let handle: FileHandle;
      try {
        handle = await open(rawPath(id), "r");
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      return handle.createReadStream();
    },

    async readSidecar(id) {
      try {
        return parseSidecar(await readFile(sidecarPath(id), "utf8"), id);
      } catch {
        return null;
      }
    },

    async writeSidecar(sidecar: Sidecar) {
      const temporary = tmpPath(".json");
      try {
        await writeDurably(temporary, JSON.stringify(sidecar));
        await rename(temporary, sidecarPath(sidecar.id));
        await messagesDirSync.sync();
      } finally {
        await rm(temporary, { force: true }).catch(() => {});
      }
    },

    async remove(id) {
      await rm(rawPath(id), { force: true });
      await rm(sidecarPath(id), { force: true });
    },

    async scan(): Promise<BlobScan> {
      for (const name of await readdir(tmpDir)) {
        await rm(join(tmpDir, name), { force: true, recursive: true });
      }
      const scan: BlobScan = { raw: new Set(), sidecars: new Set() };
      for (const name of await readdir(messagesDir)) {
        const [id, extension] = name.split(".", 2) as [string, string | undefined];
        if (!MESSAGE_ID_PATTERN.test(id)) continue;
        if (extension === "eml") scan.raw.add(id);
        else if (extension === "json") scan.sidecars.add(id);
      }
      return scan;
    },

    async close() {
      await messagesDirSync.close();
    },
  };
}

class FileSink implements RawSink {
  readonly path: string;
  #handle: FileHandle | null;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #synced: Promise<void> | null = null;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  static async create(path: string): Promise<FileSink> {
    return new FileSink(path, await open(path, "wx"));
  }

  async write(chunk: Buffer): Promise<void> {
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#bufferedBytes >= WRITE_BUFFER_BYTES) await this.#flush();
  }

  async end(): Promise<void> {
    await this.#flush();
  }

  sync(): Promise<void> {
    this.#synced ??= this.#syncAndClose();
    return this.#synced;
  }

  async #syncAndClose(): Promise<void> {
    const handle = this.#open();
    this.#handle = null;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  read(): Readable {
    return createReadStream(this.path);
  }

  async discard(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.#buffered = [];
    await this.#synced?.catch(() => {});
    await handle?.close().catch(() => {});
    await rm(this.path, { force: true }).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#buffered.length === 0) return;
    const chunks = this.#buffered;
    this.#buffered = [];
    this.#bufferedBytes = 0;
    const handle = this.#open();
    // writev may write partially; loop until every byte is down.
    let pending = chunks;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending);
      pending = dropBytes(pending, bytesWritten);
    }
  }

  #open(): FileHandle {
    if (this.#handle === null) throw new Error(`Sink ${this.path} is already closed`);
    return this.#handle;
  }
}

function dropBytes(chunks: Buffer[], count: number): Buffer[] {
  let remaining = count;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (remaining >= chunk.length) {
      remaining -= chunk.length;
    } else {
      rest.push(remaining > 0 ? chunk.subarray(remaining) : chunk);
      remaining = 0;
    }
  }
  return rest;
}

async function writeDurably(path: string, content: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}
