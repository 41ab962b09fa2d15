import { statSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { matchesVisibleText } from "./match-query.js";
import type { MessageSummary } from "./model.js";
import { SCAN_CHUNK_BYTES, type SearchScan } from "./search-scan.js";
import { SearchText } from "./search-text.js";
import {
  createFileSearchTextStorage,
  createMemorySearchTextStorage,
  type SearchTextStorage,
} from "./search-text-storage.js";
import { makeSnippet } from "./sidecar.js";

/** Summaries are only read for their id and sequence here. */
const summary = (sequence: number): MessageSummary =>
  ({ id: idFor(sequence), sequence }) as unknown as MessageSummary;
const idFor = (sequence: number) => `01jz4k8q3m2x7v9c0b5n6${sequence.toString(36).padStart(5, "0")}`;

async function openEmpty(storage = createMemorySearchTextStorage()): Promise<SearchText> {
  const search = SearchText.open(storage, [], async () => null);
  await search.ready;
  return search;
}

/** A memory storage that counts the bytes queries read. */
function countingStorage(): { storage: SearchTextStorage; read: { bytes: number } } {
  const inner = createMemorySearchTextStorage();
  const read = { bytes: 0 };
  const storage: SearchTextStorage = {
    get size() {
      return inner.size;
    },
    get failure() {
      return inner.failure;
    },
    read(position, length, scratch) {
      read.bytes += length;
      return inner.read(position, length, scratch);
    },
    readSync: (position, length) => inner.readSync(position, length),
    append: (bytes) => inner.append(bytes),
    truncate: (size) => inner.truncate(size),
    beginReplace: () => inner.beginReplace(),
    close: () => inner.close(),
  };
  return { storage, read };
}

/** Words enough that the texts are not all alike. */
function prose(seed: number): string {
  const words = ["order", "shipped", "invoice", "welcome", "reset", "password", "your", "code", "team"];
  return Array.from(
    { length: 200 },
    (_, i) => `${words[(seed * 31 + i * 7) % words.length]} ${seed + i}`,
  ).join(" ");
}

/** Every sequence in `sequences` that the scan finds, newest first, walking as `list` does. */
async function found(search: SearchText, needle: string, sequences: number[]): Promise<number[]> {
  const scan = search.scan(needle.toLowerCase());
  if (scan === null) throw new Error(`no scan for ${JSON.stringify(needle)}`);
  return walk(scan, sequences);
}

async function walk(scan: SearchScan, sequences: number[]): Promise<number[]> {
  const hits: number[] = [];
  for (const sequence of [...sequences].sort((a, b) => b - a)) {
    while (!scan.covers(sequence)) await scan.extend();
    if (scan.verdict(sequence) === true) hits.push(sequence);
  }
  return hits;
}

describe("SearchText", () => {
  it("finds exactly what visibleText.toLowerCase().includes(needle) finds, non-ASCII and case included", async () => {
    const texts = [
      "Your CODE is 482913",
      "Café crème & Brûlée",
      "ΟΔΟΣ and Σίσυφος",
      "İstanbul DİYARBAKIR",
      "STRASSE Straße ẞig",
      "emoji 😀 party 🎉",
      "tab\tand\r\nnewline",
      "",
      `${"x".repeat(10)}ǅungla`,
    ];
    const needles = [
      "code is",
      "CAFÉ",
      "café crème",
      "e & b",
      "οδος",
      "ΟΔΟΣ",
      "σίσυφος",
      "ς and",
      "i̇stanbul",
      "İSTANBUL",
      "istanbul",
      "diyarbakir",
      "ß",
      "ssig",
      "straße",
      "😀",
      "😀 PARTY",
      "\r\n",
      "ǆungla",
      "ǅ",
      "482913",
      "no such thing",
      "913café", // the end of one text and the start of the next: never a match
      idFor(3), // the bytes of a record's header: never a match
    ];
    const search = await openEmpty();
    texts.forEach((text, position) => {
      search.add(position + 1, idFor(position + 1), text);
    });
    const sequences = texts.map((_, position) => position + 1);
    for (const needle of needles) {
      const expected = texts
        .map((text, position) => ({ text, sequence: position + 1 }))
        .filter(({ text }) => matchesVisibleText(needle.toLowerCase(), text))
        .map(({ sequence }) => sequence)
        .reverse();
      expect(await found(search, needle, sequences), needle).toEqual(expected);
    }
  });

  it("finds needles in every chunk and never across two records, whatever the chunking", async () => {
    const search = await openEmpty();
    // About 12 chunks of records; every 7th holds the needle at its very end, every 11th at its start.
    const body = "lorem ipsum ".repeat(2000);
    const sequences: number[] = [];
    for (let sequence = 1; sequence <= 1200; sequence++) {
      let text = body;
      if (sequence % 7 === 0) text = `${text}needle-x`;
      if (sequence % 11 === 0) text = `needle-x${text}`;
      // The tail of one record and the head of the next spell the needle only together.
      if (sequence % 13 === 0) text = `${text}need`;
      if (sequence % 13 === 1) text = `le-x${text}`;
      search.add(sequence, idFor(sequence), text);
      sequences.push(sequence);
    }
    expect(search.storedBytes).toBeGreaterThan(10 * SCAN_CHUNK_BYTES);
    const expected = sequences.filter((sequence) => sequence % 7 === 0 || sequence % 11 === 0).reverse();
    expect(await found(search, "NEEDLE-X", sequences)).toEqual(expected);
  });

  it("answers a needle that no block can hold without reading the text at all", async () => {
    const { storage, read } = countingStorage();
    const search = await openEmpty(storage);
    const sequences = Array.from({ length: 3000 }, (_, i) => i + 1);
    for (const sequence of sequences) search.add(sequence, idFor(sequence), prose(sequence));
    expect(await found(search, "zz-no-such-word-zz", sequences)).toEqual([]);
    expect(read.bytes).toBe(0);
  });

  it("reads only the blocks that may hold the needle", async () => {
    const { storage, read } = countingStorage();
    const search = await openEmpty(storage);
    const sequences = Array.from({ length: 3000 }, (_, i) => i + 1);
    for (const sequence of sequences) {
      search.add(
        sequence,
        idFor(sequence),
        sequence === 1234 ? `${prose(sequence)} Quixotic-Zebra` : prose(sequence),
      );
    }
    expect(await found(search, "QUIXOTIC-ZEBRA", sequences)).toEqual([1234]);
    expect(read.bytes).toBeGreaterThan(0);
    expect(read.bytes).toBeLessThan(search.storedBytes / 10);
  });

  it("reads a record larger than a chunk whole", async () => {
    const search = await openEmpty();
    search.add(1, idFor(1), "small one");
    search.add(2, idFor(2), `${"a".repeat(SCAN_CHUNK_BYTES + 10)}tail-word`);
    search.add(3, idFor(3), "tail-word too");
    expect(await found(search, "tail-word", [1, 2, 3])).toEqual([3, 2]);
  });

  it("forgets removed messages, and keeps answering while compaction moves the records", async () => {
    const search = await openEmpty();
    const text = `find-me ${"z".repeat(64 * 1024)}`;
    for (let sequence = 1; sequence <= 200; sequence++) search.add(sequence, idFor(sequence), text);
    const sequences = Array.from({ length: 200 }, (_, i) => i + 1);
    const scan = search.scan("find-me")!;
    // Part of the walk before the compaction...
    const before: number[] = [];
    for (const sequence of sequences.slice(150).reverse()) {
      while (!scan.covers(sequence)) await scan.extend();
      if (scan.verdict(sequence)) before.push(sequence);
    }
    const generation = search.generation;
    for (let sequence = 1; sequence <= 120; sequence++) search.remove(sequence);
    await search.idle();
    expect(search.generation).toBeGreaterThan(generation);
    expect(search.storedBytes).toBeLessThan(100 * text.length);
    // ...and the rest after it: removed messages are gone, the others still found.
    const after = await walk(scan, sequences.slice(0, 150));
    expect([...before, ...after]).toEqual(sequences.slice(120).reverse());
    expect(await found(search, "find-me", sequences)).toEqual(sequences.slice(120).reverse());
  });

  it("compacts on disk in the background while messages keep arriving and leaving", async () => {
    const directory = await mkdtemp(join(tmpdir(), "mailnest-search-"));
    try {
      const search = await openEmpty(await createFileSearchTextStorage(directory));
      const text = (sequence: number) => `message ${sequence} ${"y".repeat(64 * 1024)}`;
      for (let sequence = 1; sequence <= 200; sequence++)
        search.add(sequence, idFor(sequence), text(sequence));
      const generation = search.generation;
      // Deletions start a compaction; more mail and more deletions land while it copies.
      for (let sequence = 1; sequence <= 130; sequence++) search.remove(sequence);
      for (let sequence = 201; sequence <= 210; sequence++)
        search.add(sequence, idFor(sequence), text(sequence));
      search.remove(150);
      search.remove(205);
      await search.idle();
      expect(search.generation).toBeGreaterThan(generation);
      const live = Array.from({ length: 80 }, (_, i) => i + 131).filter(
        (sequence) => sequence !== 150 && sequence !== 205,
      );
      expect(
        await found(
          search,
          "message",
          Array.from({ length: 210 }, (_, i) => i + 1),
        ),
      ).toEqual([...live].reverse());
      expect(await found(search, "message 207 ", [207])).toEqual([207]);
      // Snippets moved with their records.
      expect(search.snippet(131)).toBe(makeSnippet(text(131)));
      expect(search.snippet(210)).toBe(makeSnippet(text(210)));
      expect(search.snippet(150)).toBeNull();
      expect((await stat(join(directory, "text.bin"))).size).toBe(search.storedBytes);
      await search.close();
      // What is on disk is what was swapped in: it loads as it was.
      const reopened = SearchText.open(
        await createFileSearchTextStorage(directory),
        live.map(summary),
        async () => null,
      );
      await reopened.ready;
      expect(await found(reopened, "message", live)).toEqual([...live].reverse());
      expect(reopened.snippet(209)).toBe(makeSnippet(text(209)));
      await reopened.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("on disk, writes the appends of one event-loop turn together at its end; reads see them before", async () => {
    const directory = await mkdtemp(join(tmpdir(), "mailnest-search-"));
    try {
      const storage = await createFileSearchTextStorage(directory);
      const file = join(directory, "text.bin");
      for (const word of ["one ", "two ", "three "]) storage.append(Buffer.from(word));
      expect(storage.size).toBe(14);
      // Synchronously, in the same turn: an await here would let the turn end first.
      expect(statSync(file).size).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(statSync(file).size).toBe(14);

      storage.append(Buffer.from("four"));
      expect(storage.readSync(10, 8).toString()).toBe("ree four");
      storage.append(Buffer.from("!"));
      storage.close();
      expect((await readFile(file)).toString()).toBe("one two three four!");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform !== "linux")(
    "leaves queries to the sidecars when a write made at the end of a turn fails",
    async () => {
      const directory = await mkdtemp(join(tmpdir(), "mailnest-search-"));
      try {
        // Every write to /dev/full fails with ENOSPC.
        await symlink("/dev/full", join(directory, "text.bin"));
        const storage = await createFileSearchTextStorage(directory);
        const search = await openEmpty(storage);
        search.add(1, idFor(1), "hello");
        expect(search.scan("hello")).not.toBeNull();
        await new Promise((resolve) => setImmediate(resolve));
        expect(storage.failure?.message).toMatch(/ENOSPC/);
        const errors = vi.spyOn(console, "error").mockImplementation(() => {});
        try {
          expect(search.scan("hello")).toBeNull();
          expect(errors).toHaveBeenCalledWith(expect.stringMatching(/ENOSPC/));
        } finally {
          errors.mockRestore();
        }
        // Appends still pending at close fail the same way, and do not fail the close.
        search.add(2, idFor(2), "late");
        const reopened = await createFileSearchTextStorage(directory);
        reopened.append(Buffer.from("pending"));
        expect(() => reopened.close()).not.toThrow();
        expect(reopened.failure?.message).toMatch(/ENOSPC/);
        await search.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  );

  it("leaves needles whose bytes could match differently (U+FFFD, lone surrogates) to the sidecars", async () => {
    const search = await openEmpty();
    search.add(1, idFor(1), "broken \uD83D here");
    expect(search.scan("\uFFFD")).toBeNull();
    expect(search.scan("\uD83D")).toBeNull();
    expect(search.scan("here")).not.toBeNull();
  });

  it("answers null (read the sidecar) for a message without a record", async () => {
    const search = await openEmpty();
    search.add(2, idFor(2), "two");
    const scan = search.scan("two")!;
    expect(await walk(scan, [1, 2, 3])).toEqual([2]);
    expect(scan.verdict(1)).toBeNull();
    expect(scan.verdict(3)).toBeNull();
  });

  it("stops answering, rather than answering wrongly, when a message arrives out of sequence order", async () => {
    const search = await openEmpty();
    search.add(5, idFor(5), "five");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      search.add(4, idFor(4), "four");
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
    expect(search.scan("four")).toBeNull();
  });

  it("rebuilds records of messages it lacks and drops those of messages that are gone, in the background", async () => {
    const storage = createMemorySearchTextStorage();
    const first = await openEmpty(storage);
    for (const sequence of [1, 2, 3, 4]) first.add(sequence, idFor(sequence), `text ${sequence}`);
    // 2 was deleted meanwhile, 3 now belongs to another message, 5 and 6 have no record yet.
    const summaries = [1, 3, 4, 5, 6].map(summary);
    summaries[1] = { ...summaries[1]!, id: idFor(33) };
    const texts = new Map([
      [idFor(33), "text renumbered"],
      [idFor(5), "text 5"],
      [idFor(6), "text 6"],
    ]);
    const reopened = SearchText.open(storage, summaries, async ({ id }) => texts.get(id) ?? null);
    // Until loaded, queries read sidecars; what happens meanwhile is applied after.
    expect(reopened.scan("text")).toBeNull();
    reopened.add(7, idFor(7), "TEXT 7");
    reopened.remove(4);
    await reopened.ready;
    expect(await found(reopened, "text", [1, 2, 3, 4, 5, 6, 7])).toEqual([7, 6, 5, 3, 1]);
    expect(await found(reopened, "renumbered", [1, 2, 3, 4, 5, 6])).toEqual([3]);
    expect(await found(reopened, "text 2", [1, 2, 3, 4, 5, 6])).toEqual([]);
  });
});

describe("snippets in the search text", () => {
  it("reads back each message's snippet, in its own case and with its whitespace collapsed", async () => {
    const search = await openEmpty();
    search.add(1, idFor(1), "Your code\r\n\r\nis 123456");
    search.add(2, idFor(2), "");
    search.add(3, idFor(3), `Grüße aus Köln 😀 ${"word ".repeat(100)}`);
    expect(search.snippet(1)).toBe("Your code is 123456");
    expect(search.snippet(2)).toBe("");
    expect(search.snippet(3)).toBe(makeSnippet(`Grüße aus Köln 😀 ${"word ".repeat(100)}`));
    expect(search.snippet(4)).toBeNull();
    search.remove(1);
    expect(search.snippet(1)).toBeNull();
  });

  it("never lets a text query match inside a snippet", async () => {
    const search = await openEmpty();
    // The snippet reads "Reset Link here" (collapsed, original case); the lowercased text has a line
    // break where the snippet has a space, so only the snippet's bytes hold "reset link".
    search.add(1, idFor(1), "reset\nlink here");
    search.add(2, idFor(2), "the reset link is below");
    expect(search.snippet(1)).toBe("reset link here");
    expect(await found(search, "reset link", [1, 2])).toEqual([2]);
  });

  it("is null while the records load, and once the search text has failed", async () => {
    const storage = createMemorySearchTextStorage();
    const first = await openEmpty(storage);
    first.add(1, idFor(1), "first message");
    await first.close();
    let release: () => void = () => {};
    const reopened = SearchText.open(
      storage,
      [summary(1)],
      async () => null,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    expect(reopened.snippet(1)).toBeNull();
    release();
    await reopened.ready;
    expect(reopened.snippet(1)).toBe("first message");
    // Out of order: the search text stops answering, snippets included.
    reopened.add(1, idFor(1), "again");
    expect(reopened.snippet(1)).toBeNull();
  });

  it("writes again, with snippets, the records an earlier version wrote without them", async () => {
    const storage = createMemorySearchTextStorage();
    const texts = new Map([1, 2, 3].map((sequence) => [idFor(sequence), `Old Message ${sequence}`]));
    for (const sequence of [1, 2, 3])
      storage.append(recordWithoutSnippet(sequence, `old message ${sequence}`));
    const search = SearchText.open(storage, [1, 2, 3].map(summary), async ({ id }) => texts.get(id) ?? null);
    await search.ready;
    expect([1, 2, 3].map((sequence) => search.snippet(sequence))).toEqual([
      "Old Message 1",
      "Old Message 2",
      "Old Message 3",
    ]);
    expect(await found(search, "message 2", [1, 2, 3])).toEqual([2]);
  });
});

/** A record as Mailnest wrote it before snippets were kept: magic "MNST", and no snippet. */
function recordWithoutSnippet(sequence: number, lowercased: string): Buffer {
  const text = Buffer.from(lowercased, "utf8");
  const header = Buffer.alloc(48);
  header.writeUInt32BE(0x4d4e5354, 0);
  header.writeUInt32BE(text.length, 4);
  header.writeDoubleLE(sequence, 8);
  header.write(idFor(sequence), 16, 26, "latin1");
  header.writeUInt32BE(crc32(text, crc32(header.subarray(0, 44))), 44);
  return Buffer.concat([header, text]);
}
