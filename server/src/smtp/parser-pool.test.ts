import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RawSource } from "../store/model.js";
import { createMessageParser } from "./parse-message.js";
import { createParserPool, defaultParserThreads, type ParserPool } from "./parser-pool.js";

/** A parsing thread started from the TypeScript sources (the build starts parser-worker.js). */
function spawnFromSource(): Worker {
  const entry = new URL("./parser-worker.ts", import.meta.url).href;
  const code = `import { register } from "tsx/esm/api"; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true });
}

/** A thread that says it is ready and dies as soon as it is handed a message: a crash mid-parse. */
function spawnCrashing(): Worker {
  const code = `const { parentPort } = require("node:worker_threads");
parentPort.on("message", () => process.exit(70));
parentPort.postMessage({ kind: "ready" });`;
  return new Worker(code, { eval: true });
}

/** A thread whose entry fails to load. */
function spawnBroken(): Worker {
  return new Worker(`throw new Error("the parser could not be loaded");`, { eval: true });
}

const mainThread = createMessageParser();
/** The pool's fallback: the main thread's parser, counting the messages it was handed. */
const fallback = {
  ...mainThread,
  parsed: 0,
  parseSource(source: RawSource) {
    fallback.parsed += 1;
    return mainThread.parseSource(source);
  },
};
const inThread = mainThread;
const pools: ParserPool[] = [];
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailnest-parser-pool-"));
});
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  fallback.parsed = 0;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function poolWith(
  spawn: () => Worker,
  spawned: Worker[] = [],
  options: { stopAfterIdleMs?: number } = {},
): ParserPool {
  const pool = createParserPool({
    threads: 1,
    ...options,
    fallback,
    spawn: () => {
      const worker = spawn();
      spawned.push(worker);
      return worker;
    },
  });
  pools.push(pool);
  return pool;
}

function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(mail).compile().build();
}

function bytes(raw: string | Buffer): RawSource {
  return { kind: "bytes", bytes: Buffer.from(raw) };
}

async function file(name: string, raw: Buffer): Promise<RawSource> {
  const path = join(dir, name);
  await writeFile(path, raw);
  return { kind: "file", path };
}

/** A message of more than 1 MiB, which the store receives into a temp file. */
function largeMessage(): Promise<Buffer> {
  return compose({
    from: "Ada <ada@example.test>",
    to: "bob@example.test",
    subject: "Quarterly figures",
    text: "See the attachment: https://example.test/figures",
    attachments: [{ filename: "figures.bin", content: Buffer.alloc(1_500_000, 7) }],
  });
}

async function messages(): Promise<{ name: string; source: RawSource }[]> {
  const withAttachments = await compose({
    from: '"Zoë" <zoe@example.test>',
    to: "a@example.test, Group: b@example.test, c@example.test;",
    cc: "d@example.test",
    subject: "=?UTF-8?B?w6lsw6h2ZQ==?= report",
    text: "Plain text with a link https://example.test/a",
    html: '<p>Hello <a href="https://example.test/b">there</a><img src="cid:logo@x"></p>',
    attachments: [
      { filename: "notes.txt", content: "named text is an attachment" },
      { filename: "logo.png", content: Buffer.from([137, 80, 78, 71]), cid: "logo@x" },
    ],
  });
  const tooManyParts = [
    "Subject: bomb",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=b",
    "",
    ...Array.from(
      { length: 1200 },
      (_, i) => `--b\r\nContent-Type: text/plain; name=p${i}.txt\r\n\r\npart ${i}`,
    ),
    "--b--",
    "",
  ].join("\r\n");
  const brokenMime = [
    "Subject: broken",
    "Content-Type: multipart/mixed; boundary=never-closed",
    "Content-Transfer-Encoding: base64",
    "",
    "--never-closed",
    "Content-Type: text/html; charset=unknown-charset",
    "",
    "<p>unterminated <a href='https://example.test/x'",
  ].join("\r\n");
  return [
    { name: "plain", source: bytes("From: a@example.test\r\nSubject: hi\r\n\r\nHello\r\n") },
    { name: "attachments and html", source: bytes(withAttachments) },
    { name: "over the MIME node limit", source: bytes(tooManyParts) },
    { name: "broken MIME", source: bytes(brokenMime) },
    { name: "no header at all", source: bytes("just a line, no header\r\n") },
    { name: "large, from its file", source: await file("large.eml", await largeMessage()) },
  ];
}

describe("parsing on a worker thread", () => {
  it("gives the same view as parsing on the main thread, for bytes and for a file", async () => {
    const pool = poolWith(spawnFromSource);
    await pool.whenReady();
    const views = new Map<string, unknown>();
    for (const { name, source } of await messages()) {
      const [fromThread, fromMain] = await Promise.all([
        pool.parseSource(source),
        inThread.parseSource(source),
      ]);
      expect({ name, view: fromThread }).toEqual({ name, view: fromMain });
      views.set(name, fromThread);
    }

    expect(fallback.parsed).toBe(0);
    expect(views.get("over the MIME node limit")).toMatchObject({
      parseError: "Max allowed child nodes exceeded",
    });
    expect(views.get("attachments and html")).toMatchObject({
      subject: "élève report",
      attachments: [{ filename: "logo.png", contentId: "logo@x" }, { filename: "notes.txt" }],
    });
    expect(views.get("large, from its file")).toMatchObject({
      attachments: [{ filename: "figures.bin", size: 1_500_000 }],
    });
  });

  it("leaves the store's bytes intact: the thread gets a copy", async () => {
    const pool = poolWith(spawnFromSource);
    await pool.whenReady();
    const raw = Buffer.from("Subject: kept\r\n\r\nThe store still commits these bytes.\r\n");
    const source: RawSource = { kind: "bytes", bytes: raw };

    const view = await pool.parseSource(source);

    expect(view.subject).toBe("kept");
    expect(raw.toString()).toBe("Subject: kept\r\n\r\nThe store still commits these bytes.\r\n");
  });

  it("a thread that dies mid-parse: the message is parsed on the main thread, and the thread is replaced", async () => {
    const spawned: Worker[] = [];
    const pool = poolWith(spawnCrashing, spawned);
    await pool.whenReady();
    const source = bytes("From: a@example.test\r\nSubject: survives\r\n\r\nBody https://example.test/s\r\n");

    const first = await pool.parseSource(source);
    await pool.whenReady();
    const second = await pool.parseSource(source);

    expect(first).toEqual(await inThread.parseSource(source));
    expect(second).toEqual(first);
    expect(fallback.parsed).toBe(2);
    // The first thread, and a replacement after each crash.
    expect(spawned).toHaveLength(3);
  });

  it("a thread killed while it parses a large message: the message is parsed on the main thread", async () => {
    const spawned: Worker[] = [];
    const pool = poolWith(spawnFromSource, spawned);
    await pool.whenReady();
    const source = await file("killed.eml", await largeMessage());

    const parsing = pool.parseSource(source);
    await spawned[0]?.terminate();

    expect(await parsing).toEqual(await inThread.parseSource(source));
    expect(fallback.parsed).toBe(1);
  });

  it("a thread that cannot start: messages are parsed on the main thread, and it is retried only a few times", async () => {
    const spawned: Worker[] = [];
    const pool = poolWith(spawnBroken, spawned);
    const source = bytes("Subject: no thread\r\n\r\nparsed all the same\r\n");

    const views = [];
    for (let i = 0; i < 6; i += 1) {
      await pool.whenReady();
      views.push(await pool.parseSource(source));
    }

    expect(views.map((view) => view.subject)).toEqual(Array(6).fill("no thread"));
    expect(fallback.parsed).toBe(6);
    expect(spawned).toHaveLength(3);
  });

  it("close terminates the threads; what comes afterwards is parsed on the main thread", async () => {
    const spawned: Worker[] = [];
    const pool = poolWith(spawnFromSource, spawned);
    await pool.whenReady();
    const exits = spawned.map((worker) => new Promise((resolve) => worker.once("exit", resolve)));

    await pool.close();
    await Promise.all(exits);
    const view = await pool.parseSource(bytes("Subject: after close\r\n\r\nstill parsed\r\n"));

    expect(view.subject).toBe("after close");
    expect(fallback.parsed).toBe(1);
    expect(spawned).toHaveLength(1);
  });
});

describe("threads with nothing to do", () => {
  it("stops one after stopAfterIdleMs without a message; the next message is parsed on the main thread while it starts again", async () => {
    const spawned: Worker[] = [];
    const source = bytes("From: a@example.test\r\nSubject: quiet\r\n\r\nBody https://example.test/q\r\n");
    const expected = await inThread.parseSource(source);
    const pool = poolWith(spawnFromSource, spawned, { stopAfterIdleMs: 400 });
    await pool.whenReady();

    const beforeStop = await pool.parseSource(source);
    expect(pool.runningThreads()).toBe(1);
    // Exits by itself: nothing here terminates it (the test's timeout fails a thread kept forever).
    await new Promise((resolve) => spawned[0]!.once("exit", resolve));
    expect(pool.runningThreads()).toBe(0);
    // A stopped thread does not hold whenReady up: it starts again only when mail comes.
    await pool.whenReady();
    const whileStarting = await pool.parseSource(source);
    await pool.whenReady();
    const afterStart = await pool.parseSource(source);

    expect([beforeStop, whileStarting, afterStart]).toEqual([expected, expected, expected]);
    // Only the message that came while the thread was stopped was parsed on the main thread.
    expect(fallback.parsed).toBe(1);
    expect(spawned).toHaveLength(2);
  });
});

describe("--parse-threads auto", () => {
  it("leaves parsing on the event loop on two cores or fewer, and uses all cores but one above", () => {
    expect([1, 2, 3, 4, 8].map((cores) => defaultParserThreads(cores))).toEqual([0, 0, 2, 3, 7]);
  });
});
