import { readdir } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import {
  LineClient,
  mail,
  startRetrievalHarness,
  useRetrievalCleanup,
} from "../test-support/retrieval-harness.js";
import { seededRandom } from "../test-support/seeded-random.js";

/**
 * A short, bounded fuzz of both servers: valid command streams, mutated with a fixed seed (byte
 * flips, stray CR/LF/NUL, literal announcements of odd sizes, cut and repeated pieces), sent in
 * random chunks to live servers on loopback. The servers must answer every fresh connection
 * afterwards, never fail a command internally, and write nothing but the store's own files.
 */

const cleanup = useRetrievalCleanup();

const STREAMS_PER_PROTOCOL = 120;
const TIME_BUDGET_MS = 12_000;

const IMAP_CORPUS = [
  "a LOGIN fuzz@mailnest.test pw\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS UID ENVELOPE BODYSTRUCTURE)\r\n",
  "a LOGIN {18}\r\nfuzz@mailnest.test {2+}\r\npw\r\nb EXAMINE INBOX\r\nc UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.20>)\r\n",
  "a AUTHENTICATE PLAIN AGZ1enpAbWFpbG5lc3QudGVzdABwdw==\r\nb SELECT INBOX\r\nc SEARCH OR FROM x (NOT SEEN) SINCE 1-Jan-2020 LARGER 10\r\n",
  'a LOGIN * pw\r\nb LIST "" *\r\nc STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\nd SELECT fuzz@mailnest.test\r\ne FETCH 1 BODY[1.MIME]\r\n',
  "a LOGIN fuzz@mailnest.test pw\r\nb SELECT INBOX\r\nc STORE 1:* +FLAGS (\\Deleted \\Flagged)\r\nd EXPUNGE\r\ne IDLE\r\nDONE\r\nf CLOSE\r\n",
  'a LOGIN fuzz@mailnest.test pw\r\nb SELECT "../../../etc/passwd"\r\nc SELECT &AOQ-\r\nd FETCH 1:* BODY[]\r\ne UID SEARCH UID 1:* TEXT {3}\r\nabc\r\n',
  'a CAPABILITY\r\nb ID ("name" "fuzz")\r\nc NAMESPACE\r\nd NOOP\r\ne LOGIN fuzz@mailnest.test pw\r\nf UNSELECT\r\n',
];

const POP3_CORPUS = [
  "CAPA\r\nUSER fuzz@mailnest.test\r\nPASS pw\r\nSTAT\r\nLIST\r\nUIDL\r\nTOP 1 3\r\nRETR 1\r\nRSET\r\n",
  "AUTH PLAIN AGZ1enpAbWFpbG5lc3QudGVzdABwdw==\r\nDELE 1\r\nLIST 1\r\nRSET\r\nNOOP\r\n",
  "AUTH PLAIN\r\n*\r\nUSER ../../etc/passwd\r\nPASS x\r\nRETR 4294967295\r\nTOP 1 99999999999\r\n",
];

const NOISE = [
  "\r\n",
  "\n",
  "\r",
  "\x00",
  "{",
  "}",
  "{0}\r\n",
  "{99999999999}\r\n",
  "{7+}\r\n",
  "(",
  ")",
  '"',
  "\\",
  "[",
  "]",
  "*",
  " ",
  "\xff",
  "<0.5>",
  "..",
  "DONE\r\n",
];

function mutate(stream: string, next: () => number): Buffer {
  let bytes = Buffer.from(stream, "latin1");
  const rounds = 1 + Math.floor(next() * 6);
  for (let round = 0; round < rounds; round++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const choice = next();
    if (choice < 0.3) {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[Math.min(at, copy.length - 1)] = Math.floor(next() * 256);
      bytes = copy;
    } else if (choice < 0.6) {
      const noise = NOISE[Math.floor(next() * NOISE.length)]!;
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(noise, "latin1"), bytes.subarray(at)]);
    } else if (choice < 0.75) {
      bytes = bytes.subarray(0, at);
    } else if (choice < 0.9) {
      const end = Math.min(bytes.length, at + Math.floor(next() * 40));
      bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
    } else {
      bytes = Buffer.concat([
        bytes.subarray(0, at),
        bytes.subarray(Math.min(bytes.length, at + Math.floor(next() * 20))),
      ]);
    }
  }
  return bytes;
}

async function send(port: number, bytes: Buffer, next: () => number): Promise<void> {
  const client = await LineClient.connect(port);
  try {
    for (let offset = 0; offset < bytes.length; ) {
      const size = 1 + Math.floor(next() * 64);
      client.write(bytes.subarray(offset, offset + size));
      offset += size;
    }
    // Read whatever comes back for a moment; the content is not judged, only that the server lives.
    await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 15))]);
  } finally {
    client.close();
  }
}

async function stillServes(port: number, greeting: RegExp, command: string, reply: RegExp): Promise<void> {
  const client = await LineClient.connect(port);
  try {
    expect(await client.line()).toMatch(greeting);
    client.write(command);
    expect(await client.line()).toMatch(reply);
  } finally {
    client.close();
  }
}

describe("fuzzing the retrieval servers (fixed seed, bounded)", () => {
  it("survives mutated IMAP and POP3 command streams and keeps serving", async () => {
    const errors = vi.spyOn(console, "error");
    cleanup(() => errors.mockRestore());
    const harness = await startRetrievalHarness(cleanup, {
      imapLimits: { maxLiteralBytes: 4096, maxLineBytes: 8192, maxCommandBytes: 16_384 },
    });
    await harness.deliver(
      ["fuzz@mailnest.test"],
      mail({ headers: ["Content-Type: multipart/mixed; boundary=b"], body: "--b\r\n\r\npart\r\n--b--" }),
    );
    await harness.deliver(["fuzz@mailnest.test"], mail({ subject: "=?utf-8?q?second?=" }));
    const before = new Set(await readdir(harness.dataDir, { recursive: true }));

    const next = seededRandom(0x13);
    const started = Date.now();
    let sent = 0;
    for (let i = 0; i < STREAMS_PER_PROTOCOL && Date.now() - started < TIME_BUDGET_MS; i++) {
      const imap = IMAP_CORPUS[Math.floor(next() * IMAP_CORPUS.length)]!;
      const pop3 = POP3_CORPUS[Math.floor(next() * POP3_CORPUS.length)]!;
      await Promise.all([
        send(harness.imap.port!, mutate(imap, next), next),
        send(harness.pop3.port!, mutate(pop3, next), next),
      ]);
      sent += 2;
      if (i % 20 === 19) {
        await stillServes(harness.imap.port!, /^\* OK /, "z NOOP\r\n", /^z OK/);
        await stillServes(harness.pop3.port!, /^\+OK /, "NOOP\r\n", /^\+OK/);
      }
    }
    expect(sent).toBeGreaterThan(40);
    await stillServes(harness.imap.port!, /^\* OK /, "z LOGIN fuzz@mailnest.test x\r\n", /^z OK/);
    await stillServes(harness.pop3.port!, /^\+OK /, "CAPA\r\n", /^\+OK/);
    // No handler failed internally ([SERVERBUG] / [SYS/TEMP] are logged with console.error).
    expect(errors.mock.calls.filter((call) => /IMAP|POP3/.test(String(call[0])))).toEqual([]);
    // Mailbox names and user names never became paths: no file appeared beside the store's own.
    const after = (await readdir(harness.dataDir, { recursive: true })).filter((name) => !before.has(name));
    expect(after.filter((name) => !/^(messages|index|wal|tls|retrieval)\b/.test(name))).toEqual([]);
  }, 60_000);
});
