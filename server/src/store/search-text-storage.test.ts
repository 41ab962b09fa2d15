import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit } from "../test-support/store-kit.js";
import { createFileSearchTextStorage } from "./search-text-storage.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

describe("the search text file", () => {
  it("keeps every append in order whatever its size: small ones buffered, one past the buffer written at once, a full buffer flushed first", async () => {
    const directory = await kit.tempDir();
    const storage = await createFileSearchTextStorage(directory);
    const appends = [
      Buffer.alloc(1000, "a"),
      Buffer.alloc(300 * 1024, "b"),
      Buffer.alloc(10, "c"),
      // Together more than the 256 KB buffer holds: the first is flushed before the second is copied.
      Buffer.alloc(200 * 1024, "d"),
      Buffer.alloc(100 * 1024, "e"),
      Buffer.alloc(7, "f"),
    ];
    let expected = Buffer.alloc(0);
    for (const bytes of appends) {
      storage.append(bytes);
      expected = Buffer.concat([expected, bytes]);
      expect(storage.size).toBe(expected.length);
    }
    // A read flushes what is buffered first (so no read between the appends above: it would empty the buffer).
    expect(storage.readSync(0, expected.length).equals(expected)).toBe(true);
    storage.append(Buffer.from("tail"));
    expected = Buffer.concat([expected, Buffer.from("tail")]);
    storage.close();
    expect((await readFile(join(directory, "text.bin"))).equals(expected)).toBe(true);
  });
});
