import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { messageParser } from "./parse-message.js";
import { parserLoadedWhenUsed } from "./parser-loaded-when-used.js";

// That the CLI and the library entry do not load mailparser before the first parse is checked on the
// build itself (scripts/bundle.mjs fails when a chunk they import statically carries it).

const RAW = [
  "From: Ada <ada@example.test>",
  "To: bob@mailnest.test",
  "Subject: =?UTF-8?Q?caf=C3=A9?=",
  "Content-Type: multipart/mixed; boundary=b1",
  "",
  "--b1",
  "Content-Type: text/plain",
  "",
  "the body",
  "--b1",
  'Content-Type: text/plain; name="notes.txt"',
  "",
  "attached text",
  "--b1--",
  "",
].join("\r\n");

describe("the parser loaded at its first call", () => {
  it("answers as the parser itself does, for every call", async () => {
    const lazy = parserLoadedWhenUsed();
    const bytes = Buffer.from(RAW);

    const [viaParse, viaSource] = await Promise.all([
      lazy.parse(Readable.from([bytes])),
      lazy.parseSource({ kind: "bytes", bytes }),
    ]);
    const attachment = await lazy.attachmentContent(Readable.from([bytes]), 0);

    const expected = await messageParser.parse(Readable.from([bytes]));
    expect(viaParse).toEqual(expected);
    expect(viaSource).toEqual(expected);
    expect(expected.subject).toBe("café");
    expect(attachment?.toString()).toBe("attached text");
  });

  it("loads once, when told the server is up or at the first call if that comes first", async () => {
    let loads = 0;
    const load = async () => {
      loads += 1;
      return messageParser;
    };
    let serverUp = () => {};
    const lazy = parserLoadedWhenUsed({
      load,
      loadAfter: new Promise<void>((resolve) => (serverUp = resolve)),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toBe(0);
    serverUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toBe(1);
    await lazy.parseSource({ kind: "bytes", bytes: Buffer.from(RAW) });

    const early = parserLoadedWhenUsed({ load, loadAfter: new Promise<void>(() => {}) });
    await early.parse(Readable.from([Buffer.from(RAW)]));
    await early.attachmentContent(Readable.from([Buffer.from(RAW)]), 0);
    expect(loads).toBe(2);
  });
});
