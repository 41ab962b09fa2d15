import { SearchTable } from "./search-table.js";
import type { SearchTextStorage, SearchTextWriter } from "./search-text-storage.js";

/** Records are copied in runs of adjacent live ones up to this size. */
const COPY_BYTES = 1024 * 1024;

/**
 * Rewrites the search text without the records of deleted messages, beside the current file, while
 * the store keeps running: the records that existed when it began are copied a run at a time
 * (`copy`, one read per run, the event loop free in between); messages stored meanwhile are
 * appended to the current file as usual and deletions marked in the current table. `finish` then, in
 * one synchronous step, copies the records appended meanwhile, carries over the deletions, and swaps
 * the new file in.
 */
export class SearchCompaction {
  readonly #storage: SearchTextStorage;
  readonly #source: SearchTable;
  readonly #writer: SearchTextWriter;
  readonly #out: CountingWriter;
  readonly #table = new SearchTable();
  readonly #scratch = Buffer.allocUnsafe(COPY_BYTES);
  /** The next slot of the source to copy. */
  #next = 0;

  constructor(storage: SearchTextStorage, source: SearchTable) {
    this.#storage = storage;
    this.#source = source;
    this.#writer = storage.beginReplace();
    this.#out = new CountingWriter(this.#writer);
  }

  /** Copies the slots the source had when this began; `stopped` ends it early (the caller aborts). */
  async copy(stopped: () => boolean): Promise<void> {
    const end = this.#source.count;
    while (this.#next < end && !stopped()) {
      const run = liveRun(this.#source, this.#next, end);
      if (run === null) {
        this.#next = end;
        break;
      }
      const bytes = await this.#storage.read(run.start, run.bytes, this.#scratch);
      copyRun(this.#source, run, bytes, this.#out, this.#table);
      this.#next = run.last + 1;
    }
  }

  /** The rest, deletions since, and the swap; returns the table of the new file. */
  finish(): SearchTable {
    copyLive(this.#storage, this.#source, this.#next, this.#source.count, this.#out, this.#table);
    for (let slot = 0; slot < this.#table.count; slot++) {
      const old = this.#source.find(this.#table.sequence(slot));
      if (old < 0 || this.#source.isDead(old)) this.#table.markDead(slot);
    }
    this.#writer.commit();
    return this.#table;
  }

  abort(): void {
    this.#writer.abort();
  }
}

interface Run {
  first: number;
  last: number;
  /** File offset of the first record. */
  start: number;
  bytes: number;
}

/** The next run of adjacent live slots from `from` (before `to`), or null when none is left. */
function liveRun(source: SearchTable, from: number, to: number): Run | null {
  let first = from;
  while (first < to && source.isDead(first)) first += 1;
  if (first === to) return null;
  const start = source.offset(first);
  let last = first;
  while (last + 1 < to && !source.isDead(last + 1) && source.textEnd(last + 1) - start <= COPY_BYTES)
    last += 1;
  return { first, last, start, bytes: source.textEnd(last) - start };
}

function copyRun(
  source: SearchTable,
  run: Run,
  bytes: Buffer,
  out: CountingWriter,
  table: SearchTable,
): void {
  const base = out.size;
  out.append(bytes);
  for (let slot = run.first; slot <= run.last; slot++) {
    const textStart = source.textStart(slot) - run.start;
    const text = bytes.subarray(textStart, textStart + source.textBytes(slot));
    table.push(
      source.sequence(slot),
      base + source.offset(slot) - run.start,
      source.snippetBytes(slot),
      text,
    );
  }
}

/** Copies the live records of slots [from, to) synchronously. */
export function copyLive(
  storage: SearchTextStorage,
  source: SearchTable,
  from: number,
  to: number,
  out: CountingWriter,
  table: SearchTable,
): void {
  let next = from;
  for (let run = liveRun(source, next, to); run !== null; run = liveRun(source, next, to)) {
    copyRun(source, run, storage.readSync(run.start, run.bytes), out, table);
    next = run.last + 1;
  }
}

/** A writer that knows how much it has written (the offsets of the records it receives). */
export class CountingWriter {
  readonly #writer: SearchTextWriter;
  size = 0;

  constructor(writer: SearchTextWriter) {
    this.#writer = writer;
  }

  append(bytes: Buffer): void {
    this.#writer.append(bytes);
    this.size += bytes.length;
  }
}
