import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { FLAGS } from "./flags.js";

/** The repository's root, from server/src/cli. */
const ROOT = new URL("../../../", import.meta.url);

/** Flags a reference table lists: the first cell of each row, `--name` up to the first space or backtick. */
async function documentedFlags(file: string): Promise<Set<string>> {
  const text = await readFile(new URL(file, ROOT), "utf8");
  return new Set([...text.matchAll(/^\| `--([a-z0-9-]+)[ `]/gm)].map((match) => match[1]!));
}

describe("every flag --help shows", () => {
  const flags = FLAGS.filter((spec) => spec.name !== "help").map((spec) => spec.name);

  it.each(["README.md", "docs/cli.md"])("has a row in %s's option table", async (file) => {
    const documented = await documentedFlags(file);
    expect(flags.filter((name) => !documented.has(name))).toEqual([]);
  });
});
