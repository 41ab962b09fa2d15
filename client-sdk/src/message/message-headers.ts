import type { HeaderLine } from "@mailnest/protocol";

/** The message's header lines in order, repeats kept (several `Received`), looked up in any case. */
export class MessageHeaders implements Iterable<HeaderLine> {
  /** Every header line as it appeared, unfolded and decoded. */
  readonly list: readonly HeaderLine[];

  constructor(lines: readonly HeaderLine[]) {
    this.list = Object.freeze(lines.map((line) => Object.freeze({ ...line })));
  }

  /** The first value of the header, or null. Unlike `fetch`'s `Headers`, repeats are not joined: use `getAll`. */
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    return this.list.find((line) => line.name.toLowerCase() === wanted)?.value ?? null;
  }

  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.list.filter((line) => line.name.toLowerCase() === wanted).map((line) => line.value);
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  [Symbol.iterator](): Iterator<HeaderLine> {
    return this.list[Symbol.iterator]();
  }

  toJSON(): readonly HeaderLine[] {
    return this.list;
  }
}
