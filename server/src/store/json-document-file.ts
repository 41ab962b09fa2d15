import { open, readFile, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Adapter } from "lowdb";
import { writeAll } from "./write-all.js";

/** Enough for a shard of 250 summaries (about 220 KB of JSON) without growing. */
const INITIAL_BYTES = 512 * 1024;

/**
 * Writes the index's JSON documents one at a time through one buffer kept for the storage's life.
 *
 * lowdb's `DataFile` hands the document's text to `fs.writeFile`, which encodes it into a new native
 * buffer per write: during a burst the shard being filled is rewritten every flush (200 ms), so
 * 50,000 messages made about 700 such buffers of up to 300 KB. Above glibc's mmap threshold at
 * first, each free raised that threshold (it adapts up to 32 MB), after which they came from the
 * main heap, interleaved with small long-lived allocations: after a 50,000-message fill and a full
 * GC the main heap held 66 MB of which 6 MB were in use, and glibc gives back only its top
 * (docs/performance.md, "glibc's heap after a fill"). Encoding into a kept buffer allocates
 * nothing per write. Writes are queued, so one buffer serves every document of the storage.
 */
export class DocumentWriter {
  #scratch: Buffer | null = null;
  #queue: Promise<void> = Promise.resolve();

  /** Replaces `path` with `text`: a temp file, then a rename, so a reader never sees a torn document. */
  write(path: string, text: string): Promise<void> {
    const written = this.#queue.then(() => this.#write(path, text));
    this.#queue = written.catch(() => {});
    return written;
  }

  async #write(path: string, text: string): Promise<void> {
    const bytes = this.#encode(text);
    // The name steno (lowdb's writer) used, so a temp file left by either is the same file.
    const temporary = join(dirname(path), `.${basename(path)}.tmp`);
    const handle = await open(temporary, "w");
    try {
      await writeAll(handle, [bytes]);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }

  /** The UTF-8 bytes of `text`, in the kept buffer (valid until the next write). */
  #encode(text: string): Buffer {
    let scratch = this.#scratch ?? Buffer.allocUnsafeSlow(INITIAL_BYTES);
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: count exactly only when that bound is over.
    if (text.length * 3 > scratch.length) {
      const needed = Buffer.byteLength(text, "utf8");
      if (needed > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(needed, 2 * scratch.length));
    }
    this.#scratch = scratch;
    return scratch.subarray(0, scratch.write(text, 0, "utf8"));
  }
}

/** A lowdb adapter for one compact JSON document (the index is for the machine, not pretty-printed). */
export class JsonDocumentFile<T> implements Adapter<T> {
  readonly #path: string;
  readonly #writer: DocumentWriter;

  constructor(path: string, writer: DocumentWriter) {
    this.#path = path;
    this.#writer = writer;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  write(data: T): Promise<void> {
    return this.#writer.write(this.#path, JSON.stringify(data));
  }
}
