import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { type Adapter, Low, Memory } from "lowdb";
import { JSONFile } from "lowdb/node";

/**
 * A small JSON document in the data dir that people may read (rules and their logs:
 * `faults.json`, `reports.json`), written through lowdb's steno (temp file + rename), or kept in
 * memory. Saves are queued and coalesced, so the newest document always lands last; a failed save
 * is reported once and does not stop the next one.
 */
export class JsonDocument<T> {
  readonly #db: Low<T>;
  readonly #label: string;
  #lastWrite: Promise<void> = Promise.resolve();
  #writeFailed = false;

  private constructor(db: Low<T>, label: string) {
    this.#db = db;
    this.#label = label;
  }

  /**
   * Reads the saved document (`empty()` when there is none). A file that is not such a document
   * (hand-edited, truncated by a full disk) is moved aside as `<file>.broken` with a warning: losing
   * test rules must not keep the sandbox from starting.
   */
  static async open<T>(options: {
    /** null = memory only. */
    dataDir: string | null;
    file: string;
    /** What the document holds, for messages: "the fault rules". */
    label: string;
    empty: () => T;
    isValid: (value: unknown) => value is T;
  }): Promise<{ document: JsonDocument<T>; saved: T }> {
    const { dataDir, file, empty } = options;
    let adapter: Adapter<T>;
    if (dataDir === null) {
      adapter = new Memory<T>();
    } else {
      await mkdir(dataDir, { recursive: true });
      adapter = new JSONFile<T>(path.join(dataDir, file));
    }
    let saved: unknown;
    try {
      saved = await adapter.read();
    } catch (error) {
      if (!(error instanceof SyntaxError) || dataDir === null) throw error;
      saved = undefined;
    }
    const document = new JsonDocument(new Low(adapter, empty()), options.label);
    if (saved === null) return { document, saved: empty() };
    if (options.isValid(saved)) return { document, saved };
    if (dataDir !== null) {
      const full = path.join(dataDir, file);
      await rename(full, `${full}.broken`);
      console.warn(
        `mailnest: ${full} does not hold ${options.label}; moved it to ${full}.broken and started without them`,
      );
    }
    return { document, saved: empty() };
  }

  /** Saves `data`; resolves once it is on disk (rejects when the disk refused; that is also logged). */
  save(data: T): Promise<void> {
    this.#db.data = data;
    const write = this.#db.write().then(
      () => {
        this.#writeFailed = false;
      },
      (error: unknown) => {
        if (!this.#writeFailed) console.error(`mailnest: could not save ${this.#label}:`, error);
        this.#writeFailed = true;
        throw error;
      },
    );
    this.#lastWrite = write.catch(() => {});
    return write;
  }

  /** Resolves once every save so far is done (a failed one included: it was logged). */
  async flushed(): Promise<void> {
    await this.#lastWrite;
  }
}
