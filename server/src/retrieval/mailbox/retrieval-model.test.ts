import { readFile } from "node:fs/promises";
import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import {
  LineClient,
  mail,
  startRetrievalHarness,
  useRetrievalCleanup,
} from "../../test-support/retrieval-harness.js";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../../test-support/store-kit.js";
import { startImapServer } from "../imap/imap-server.js";
import { createRetrievalModel } from "../retrieval-model.js";
import { loadUidValidity, uidValidityFile } from "./uid-validity.js";

const cleanup = useRetrievalCleanup();

describe("UIDVALIDITY and UIDs", () => {
  it("keeps UIDVALIDITY in the data directory, and takes a fresh one in memory mode", async () => {
    const kit = createStoreKit();
    cleanup(() => kit.cleanup());
    const dir = await kit.tempDir();
    const first = await loadUidValidity(dir, Date.UTC(2030, 0, 1));
    expect(first).toBe(Date.UTC(2030, 0, 1) / 1000);
    expect(await loadUidValidity(dir, Date.UTC(2031, 0, 1))).toBe(first);
    expect((await readFile(uidValidityFile(dir), "utf8")).trim()).toBe(String(first));
    expect(await loadUidValidity(null, Date.UTC(2032, 0, 1))).toBe(Date.UTC(2032, 0, 1) / 1000);
  });

  it("gives the same UIDs and UIDVALIDITY after a restart on the same data directory", async () => {
    const kit = createStoreKit();
    cleanup(() => kit.cleanup());
    const dir = await kit.tempDir();
    const openImap = async () => {
      const { store, bus } = await kit.open(dir);
      const model = await createRetrievalModel({
        store,
        bus,
        dataDir: dir,
        access: { catchAllLogin: "*", users: null },
      });
      const imap = await startImapServer({
        model,
        transport: { tls: null, starttls: false, requireTls: false },
        host: "127.0.0.1",
        port: 0,
        implicitTlsPort: null,
        hostname: "mailnest.test",
      });
      return { store, model, imap };
    };
    const ask = async (port: number) => {
      const client = await LineClient.connect(port);
      await client.line();
      await client.imap("a", "LOGIN user@mailnest.test x");
      const select = await client.imap("b", "SELECT INBOX");
      const fetched = await client.imap("c", "UID FETCH 1:* (FLAGS)");
      client.close();
      return { validity: select.lines.find((line) => line.includes("UIDVALIDITY")), fetched: fetched.lines };
    };

    const before = await openImap();
    await ingestBuffer(before.store, testMessage({ subject: "one" }));
    const second = await ingestBuffer(before.store, testMessage({ subject: "two" }));
    await before.store.deleteMessage(second.id);
    await ingestBuffer(before.store, testMessage({ subject: "three" }));
    const seen = await ask(before.imap.port!);
    await before.imap.close();
    before.model.close();
    await before.store.close();

    const after = await openImap();
    cleanup(async () => {
      await after.imap.close();
      after.model.close();
    });
    expect(await ask(after.imap.port!)).toEqual(seen);
    expect(seen.fetched).toEqual(["* 1 FETCH (UID 1 FLAGS ())", "* 2 FETCH (UID 3 FLAGS ())"]);
    await ingestBuffer(after.store, testMessage({ subject: "four" }), testEnvelope());
    expect((await ask(after.imap.port!)).fetched.at(-1)).toBe("* 3 FETCH (UID 4 FLAGS ())");
  });
});

describe("one message in several inboxes", () => {
  it("is deleted everywhere when a folder expunges it, and every session hears of it", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const id = await harness.deliver(["a@mailnest.test", "b@mailnest.test"], mail({ subject: "shared" }));
    const inB = await LineClient.connect(harness.imap.port!);
    cleanup(() => inB.close());
    await inB.line();
    await inB.imap("l", "LOGIN b@mailnest.test x");
    await inB.imap("s", "SELECT INBOX");

    const client = new ImapFlow({
      host: "127.0.0.1",
      port: harness.imap.port!,
      secure: false,
      auth: { user: "*", pass: "x" },
      logger: false,
    });
    await client.connect();
    cleanup(() => client.logout().catch(() => client.close()));
    await client.mailboxOpen("a@mailnest.test");
    await client.messageDelete("1");
    expect(harness.store.summary(id)).toBeNull();
    expect((await client.status("INBOX", { messages: true })) as { messages?: number }).toMatchObject({
      messages: 0,
    });

    const noop = await inB.imap("n", "NOOP");
    expect(noop.lines).toEqual(["* 1 EXPUNGE"]);
  });

  it("shares \\Flagged between sessions and keeps \\Seen in the store", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const id = await harness.deliver(["f@mailnest.test"], mail({ subject: "flag me" }));
    const one = await LineClient.connect(harness.imap.port!);
    const two = await LineClient.connect(harness.imap.port!);
    cleanup(() => one.close());
    cleanup(() => two.close());
    for (const client of [one, two]) {
      await client.line();
      await client.imap("l", "LOGIN f@mailnest.test x");
      await client.imap("s", "SELECT INBOX");
    }
    const uid = harness.store.summary(id)!.sequence;
    expect((await one.imap("f", "STORE 1 +FLAGS (\\Flagged \\Seen)")).lines).toEqual([
      "* 1 FETCH (FLAGS (\\Seen \\Flagged))",
    ]);
    expect(harness.store.summary(id)!.read).toBe(true);
    expect((await two.imap("n", "NOOP")).lines).toEqual([`* 1 FETCH (UID ${uid} FLAGS (\\Seen \\Flagged))`]);
    await harness.store.setRead(id, false);
    expect((await one.imap("n", "NOOP")).lines).toEqual([`* 1 FETCH (UID ${uid} FLAGS (\\Flagged))`]);
  });
});
