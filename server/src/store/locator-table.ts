import { MESSAGE_ID_PATTERN } from "./model.js";

/** Where a message's latest record lies: segment number, frame offset and the lengths within it. */
export interface Locator {
  segment: number;
  offset: number;
  frameLength: number;
  headerLength: number;
  rawLength: number;
}

/** Characters of a message id (`MESSAGE_ID_PATTERN`): the base columns hold them as bytes. */
export const ID_LENGTH = 26;
/** Numbers per locator in the base columns: segment, offset, frameLength, headerLength, rawLength. */
export const NUMBERS_PER_LOCATOR = 5;

/**
 * The locators as a start read them from the locator file: ids sorted ascending, 26 ASCII bytes
 * each, and five float64s per id in the same order.
 */
export interface LocatorColumns {
  ids: Buffer;
  numbers: Float64Array;
}

/** A point-in-time copy of the table, for the locator file: encoded (sorted, merged) later. */
export interface CapturedLocators {
  /** The base columns (never changed after load) and which of their rows were still current. */
  base: LocatorColumns;
  current: Uint8Array;
  /** Everything placed since the load, in the order placed. */
  ids: string[];
  numbers: Float64Array;
}

/**
 * Every message's locator, in two parts. The *base* is what the locator file held at start: sorted
 * id bytes and their numbers in two flat columns, searched by binary search, with one byte per row
 * saying whether it is still current. Nothing per message is allocated for it, so restoring 50,000
 * locators is reading two arrays (a `Map` of strings and objects cost about 90 ms of a restart and
 * about 8 MB of heap). What changes after the start (new messages, sidecar changes, compaction moves)
 * goes into a `Map` on top, and a deletion or a move marks the base row stale. When the locator
 * file is written in the background (at each rotation), its merged columns become the new base
 * (`fold`), so the `Map` holds only what changed since the last rotation, not every message received
 * since the start (a 50,000-message fill left about 8 MB of strings and objects in it).
 */
export class LocatorTable {
  #base: LocatorColumns;
  /** 1 while the base row is the id's current locator; 0 once it was deleted or placed anew. */
  #current: Uint8Array;
  #baseCount: number;
  #placed = new Map<string, Locator>();
  /** The last capture, while `fold` may still apply its merged columns; null once that cannot be. */
  #lastCapture: CapturedLocators | null = null;
  /** Ids placed or deleted since `#lastCapture`: what its columns do not know. */
  #touched = new Set<string>();

  constructor(base: LocatorColumns = { ids: Buffer.alloc(0), numbers: new Float64Array(0) }) {
    this.#base = base;
    const rows = base.ids.length / ID_LENGTH;
    this.#current = new Uint8Array(rows).fill(1);
    this.#baseCount = rows;
  }

  get size(): number {
    return this.#baseCount + this.#placed.size;
  }

  /** Locators held in the `Map` (placed since the start or the last fold); the rest are base rows. */
  get placedCount(): number {
    return this.#placed.size;
  }

  get(id: string): Locator | undefined {
    const placed = this.#placed.get(id);
    if (placed !== undefined) return placed;
    const row = this.#row(id);
    return row < 0 ? undefined : this.#baseLocator(row);
  }

  has(id: string): boolean {
    return this.#placed.has(id) || this.#row(id) >= 0;
  }

  set(id: string, locator: Locator): void {
    this.#retire(this.#row(id));
    this.#placed.set(id, locator);
    if (this.#lastCapture !== null) this.#touched.add(id);
  }

  delete(id: string): void {
    this.#retire(this.#row(id));
    this.#placed.delete(id);
    if (this.#lastCapture !== null) this.#touched.add(id);
  }

  /** Drops the base rows in segments `keep` refuses (a segment compacted away since the file). */
  retainSegments(keep: (segment: number) => boolean): void {
    // Rows retired without their ids: a capture taken before cannot be folded in any more.
    this.#forgetCapture();
    const { numbers } = this.#base;
    for (let row = 0; row < this.#current.length; row += 1) {
      if (this.#current[row] === 1 && !keep(numbers[row * NUMBERS_PER_LOCATOR]!)) this.#retire(row);
    }
  }

  /** Every current locator, the id made as a string: for scans, compaction and checks, not for hot paths. */
  *entries(): IterableIterator<[string, Locator]> {
    for (let row = 0; row < this.#current.length; row += 1) {
      const id = this.#currentId(row);
      if (id !== null) yield [id, this.#baseLocator(row)];
    }
    yield* this.#placed;
  }

  /** Every current id, without making the locators (`entries` would, for each loaded row). */
  *keys(): IterableIterator<string> {
    for (let row = 0; row < this.#current.length; row += 1) {
      const id = this.#currentId(row);
      if (id !== null) yield id;
    }
    yield* this.#placed.keys();
  }

  /** The locators of one segment (compaction): ids are made only for the rows in it. */
  inSegment(segment: number): Array<[string, Locator]> {
    const found: Array<[string, Locator]> = [];
    const { numbers } = this.#base;
    for (let row = 0; row < this.#current.length; row += 1) {
      const id = numbers[row * NUMBERS_PER_LOCATOR] === segment ? this.#currentId(row) : null;
      if (id !== null) found.push([id, this.#baseLocator(row)]);
    }
    for (const entry of this.#placed) if (entry[1].segment === segment) found.push(entry);
    return found;
  }

  /**
   * A copy of what is current now, cheap enough for the tick of a rotation: the base columns are
   * shared (they never change), their current-flags and the placed locators copied. Sorting and
   * merging wait for `mergeCaptured`, in the background.
   */
  capture(): CapturedLocators {
    const ids = new Array<string>(this.#placed.size);
    const numbers = new Float64Array(this.#placed.size * NUMBERS_PER_LOCATOR);
    let index = 0;
    // forEach, not for-of: no [id, locator] pair allocated per entry.
    this.#placed.forEach((locator, id) => {
      const at = index * NUMBERS_PER_LOCATOR;
      ids[index] = id;
      numbers[at] = locator.segment;
      numbers[at + 1] = locator.offset;
      numbers[at + 2] = locator.frameLength;
      numbers[at + 3] = locator.headerLength;
      numbers[at + 4] = locator.rawLength;
      index += 1;
    });
    const captured = { base: this.#base, current: this.#current.slice(), ids, numbers };
    this.#lastCapture = captured;
    this.#touched.clear();
    return captured;
  }

  /**
   * Makes `columns`, the merge of `captured` (`mergeCaptured`), the base, when `captured` is the last
   * capture taken: then the columns hold every locator that was current at that capture, and what
   * changed since is in `#touched`. Those ids keep their placed locator (or stay deleted) and their
   * rows in the new base start stale; every other placed locator is now a base row and leaves the
   * `Map`. Returns whether it folded (a later capture, or `retainSegments`, makes an older merge
   * unusable; the next one folds instead).
   */
  fold(columns: LocatorColumns, captured: CapturedLocators): boolean {
    if (captured !== this.#lastCapture) return false;
    const rows = columns.ids.length / ID_LENGTH;
    const current = new Uint8Array(rows).fill(1);
    const placed = new Map<string, Locator>();
    let stale = 0;
    for (const id of this.#touched) {
      const row = findRow(columns.ids, rows, id);
      if (row >= 0) {
        current[row] = 0;
        stale += 1;
      }
      const locator = this.#placed.get(id);
      if (locator !== undefined) placed.set(id, locator);
    }
    this.#base = columns;
    this.#current = current;
    this.#baseCount = rows - stale;
    this.#placed = placed;
    this.#forgetCapture();
    return true;
  }

  #forgetCapture(): void {
    this.#lastCapture = null;
    this.#touched.clear();
  }

  #retire(row: number): void {
    if (row < 0 || this.#current[row] === 0) return;
    this.#current[row] = 0;
    this.#baseCount -= 1;
  }

  /** The base row holding `id` while it is current, else -1. */
  #row(id: string): number {
    if (this.#baseCount === 0) return -1;
    const row = findRow(this.#base.ids, this.#current.length, id);
    return row >= 0 && this.#current[row] === 1 ? row : -1;
  }

  /**
   * The id of a base row while it is current, else null; null too for bytes that are not a message
   * id: nothing that names a file is made of them.
   */
  #currentId(row: number): string | null {
    if (this.#current[row] !== 1) return null;
    const id = this.#base.ids.toString("latin1", row * ID_LENGTH, (row + 1) * ID_LENGTH);
    return MESSAGE_ID_PATTERN.test(id) ? id : null;
  }

  #baseLocator(row: number): Locator {
    const { numbers } = this.#base;
    const at = row * NUMBERS_PER_LOCATOR;
    return {
      segment: tagged(numbers[at]!),
      offset: tagged(numbers[at + 1]!),
      frameLength: tagged(numbers[at + 2]!),
      headerLength: tagged(numbers[at + 3]!),
      rawLength: tagged(numbers[at + 4]!),
    };
  }
}

/**
 * A buffer for a merge's column, `bytes` long, allocated at the next power of two.
 *
 * Each rotation merges the locators into new columns that replace the table's base (3.3 MB at
 * 50,000 messages), and the old ones are freed. Of a slightly different size each time, in the
 * heap (glibc serves allocations of this size from it once any larger buffer was freed, which
 * loading the bundle's modules already does), they left holes that the next, larger columns did not
 * fit: after a 50,000-message fill glibc's heap held 20 to 66 MB, most of it free. In sizes that
 * repeat, the columns freed at one rotation are the place of those of the next. The capacity
 * beyond `bytes` is never written: from pages not touched before, it costs address space only.
 */
function columnBuffer(bytes: number): Buffer {
  // Uninitialised: every byte up to `bytes` is written by the merge.
  const capacity = bytes <= 4096 ? bytes : 2 ** Math.ceil(Math.log2(bytes));
  return Buffer.allocUnsafeSlow(capacity).subarray(0, bytes);
}

/**
 * The captured locators as sorted columns for the locator file: the base rows still current and the
 * placed ones, merged by id (a placed id is never also a current base row).
 */
export function mergeCaptured(captured: CapturedLocators): LocatorColumns {
  const { base, current } = captured;
  // The columns hold 26 bytes an id: anything else would be cut or padded into another id. The
  // file is then not written, and the previous one stays right about what it names.
  const odd = captured.ids.find((id) => !MESSAGE_ID_PATTERN.test(id));
  if (odd !== undefined) throw new Error(`a locator's id is not a message id: ${JSON.stringify(odd)}`);
  const order = captured.ids
    .map((_, index) => index)
    .sort((a, b) => compareIds(captured.ids[a]!, captured.ids[b]!));
  let count = order.length;
  for (let row = 0; row < current.length; row += 1) count += current[row]!;
  const ids = columnBuffer(count * ID_LENGTH);
  const numberBytes = columnBuffer(count * NUMBERS_PER_LOCATOR * Float64Array.BYTES_PER_ELEMENT);
  const numbers = new Float64Array(numberBytes.buffer, numberBytes.byteOffset, count * NUMBERS_PER_LOCATOR);
  let out = 0;
  let row = 0;
  let next = 0;
  const takeBase = () => {
    base.ids.copy(ids, out * ID_LENGTH, row * ID_LENGTH, (row + 1) * ID_LENGTH);
    numbers.set(
      base.numbers.subarray(row * NUMBERS_PER_LOCATOR, (row + 1) * NUMBERS_PER_LOCATOR),
      out * NUMBERS_PER_LOCATOR,
    );
    out += 1;
  };
  const takePlaced = () => {
    const index = order[next]!;
    ids.write(captured.ids[index]!, out * ID_LENGTH, ID_LENGTH, "latin1");
    numbers.set(
      captured.numbers.subarray(index * NUMBERS_PER_LOCATOR, (index + 1) * NUMBERS_PER_LOCATOR),
      out * NUMBERS_PER_LOCATOR,
    );
    out += 1;
    next += 1;
  };
  while (row < current.length || next < order.length) {
    if (row < current.length && current[row] === 0) {
      row += 1;
    } else if (row >= current.length) {
      takePlaced();
    } else if (
      next >= order.length ||
      compareAt(base.ids, row * ID_LENGTH, captured.ids[order[next]!]!) < 0
    ) {
      takeBase();
      row += 1;
    } else {
      takePlaced();
    }
  }
  return { ids, numbers };
}

/**
 * Whether `ids` holds whole 26-byte ids, strictly ascending, as binary search needs. Their alphabet
 * is not checked here (a regular expression over the column cost about 17 ms of a start at 50,000):
 * an id of other characters can match no lookup, and the table never hands one out (`#currentId`).
 */
export function ascendingIds(ids: Buffer): boolean {
  if (ids.length % ID_LENGTH !== 0) return false;
  for (let at = ID_LENGTH; at < ids.length; at += ID_LENGTH) {
    let k = 0;
    while (k < ID_LENGTH && ids[at + k] === ids[at - ID_LENGTH + k]) k += 1;
    if (k === ID_LENGTH || ids[at + k]! < ids[at - ID_LENGTH + k]!) return false;
  }
  return true;
}

/** The row of `id` among the first `rows` sorted ids of `ids` (binary search), or -1. */
function findRow(ids: Buffer, rows: number, id: string): number {
  if (id.length !== ID_LENGTH) return -1;
  let low = 0;
  let high = rows;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareAt(ids, middle * ID_LENGTH, id);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return -1;
}

/** The order of the id at `at` in `ids` against `id` (both 26 ASCII characters). */
function compareAt(ids: Buffer, at: number, id: string): number {
  for (let k = 0; k < ID_LENGTH; k += 1) {
    const difference = ids[at + k]! - id.charCodeAt(k);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Code-unit order, the order `compareAt` and the file use. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A float64 read from the array is a double to V8, and an object field given one holds it boxed.
 * `| 0` makes one that fits 31 bits a small integer again, which every real offset and length does.
 */
function tagged(number: number): number {
  return number <= 0x3fffffff ? number | 0 : number;
}
