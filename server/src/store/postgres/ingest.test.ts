import { PassThrough } from "node:stream";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import {
  chunked,
  ingestBuffer,
  readAll,
  sha256,
  testEnvelope,
  testMessage,
} from "../../test-support/store-kit.js";
import {
  IngestAbortedError,
  MessageDamagedError,
  MessageTooLargeError,
  StorageFailedError,
} from "../errors.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

async function rowCount(url: string): Promise<number> {
  const sql = postgres(url, { max: 1 });
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM mailnest_messages`;
    return row?.n ?? -1;
  } finally {
    await sql.end();
  }
}

describe("PostgreSQL ingest", () => {
  it("a message over maxSize is read to its end and refused with MessageTooLargeError; nothing is stored", async () => {
    const database = await kit.database();
    const { store, eventsNamed } = await kit.open(database.url);
    const stream = chunked(testMessage({ text: "x".repeat(5000) }), 100);
    await expect(store.ingest(stream, testEnvelope(), { maxSize: 1000 })).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    expect(stream.readableEnded).toBe(true);
    expect(store.head).toBe(0);
    expect(eventsNamed("message.stored")).toEqual([]);
    expect(await rowCount(database.url)).toBe(0);
  });

  it("a client that vanishes mid-DATA leaves nothing behind (IngestAbortedError)", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const stream = new PassThrough();
    const ingesting = store.ingest(stream, testEnvelope(), { maxSize: 1_000_000 });
    stream.write(Buffer.from("Subject: half\r\n\r\nfirst part"));
    stream.destroy(new Error("ECONNRESET"));
    await expect(ingesting).rejects.toBeInstanceOf(IngestAbortedError);
    expect(await rowCount(database.url)).toBe(0);
  });

  it("keeps bodies with NUL characters and 3 MB messages byte for byte", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const withNul = testMessage({ subject: "nul", text: "before\u0000after" });
    const large = testMessage({ subject: "large", text: "z".repeat(3 * 1024 * 1024) });
    const [a, b] = await Promise.all([ingestBuffer(store, withNul), ingestBuffer(store, large)]);
    expect((await store.get(a.id))?.text).toContain("before\u0000after");
    expect(sha256(await readAll(await store.readRaw(a.id)))).toBe(sha256(withNul));
    expect(sha256(await readAll(await store.readRaw(b.id)))).toBe(sha256(large));
    expect((await store.list({ limit: 5, text: "before\u0000after" })).messages.map((m) => m.id)).toEqual([
      a.id,
    ]);
  });

  it("serves attachments from the stored bytes", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const raw = await new MailComposer({
      from: "a@app.test",
      to: "user@mailnest.test",
      subject: "With a file",
      text: "see attached",
      attachments: [{ filename: "report.csv", content: Buffer.from("a,b\n1,2\n") }],
    })
      .compile()
      .build();
    const stored = await ingestBuffer(store, raw);
    const attachment = stored.attachments[0]!;
    const served = await store.readAttachment(stored.id, attachment.id);
    expect(served?.meta.filename).toBe("report.csv");
    expect((await readAll(served!.content)).toString()).toBe("a,b\n1,2\n");
  });

  it("raw bytes changed in the database are refused with MessageDamagedError and counted, and a check finds them", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const intact = await ingestBuffer(store, testMessage({ subject: "intact" }));
    const damaged = await ingestBuffer(store, testMessage({ subject: "damaged" }));
    const sql = postgres(database.url, { max: 1 });
    await sql`UPDATE mailnest_messages SET raw = substring(raw from 1 for 10) WHERE id = ${damaged.id}`;
    await sql.end();

    await expect(store.readRaw(damaged.id)).rejects.toBeInstanceOf(MessageDamagedError);
    await expect(store.readRaw(damaged.id)).rejects.toThrow(/found 10 bytes/);
    expect(store.damagedCount).toBe(1);
    expect(await readAll(await store.readRaw(intact.id))).toHaveLength(intact.size);
    const check = await store.checkIntegrity();
    expect(check.checked).toBe(2);
    expect(check.damaged.map((error) => error.id)).toEqual([damaged.id]);
  });

  it("a message the database refuses fails alone (451); the messages committed with it in one batch are stored", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.summary->>'subject' = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON mailnest_messages
        FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    await sql.end();
    const results = await Promise.allSettled([
      ...Array.from({ length: 4 }, (_, i) => ingestBuffer(store, testMessage({ subject: `fine ${i}` }))),
      ingestBuffer(store, testMessage({ subject: "poison" })),
      ...Array.from({ length: 4 }, (_, i) => ingestBuffer(store, testMessage({ subject: `also fine ${i}` }))),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      ...Array(4).fill("fulfilled"),
      "rejected",
      ...Array(4).fill("fulfilled"),
    ]);
    const refused = results[4] as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(StorageFailedError);
    expect(String(refused.reason.message)).toMatch(/poison refused/);
    expect(store.messageCount).toBe(8);
    expect(await rowCount(database.url)).toBe(8);
  });

  it("sixteen concurrent messages are all stored with distinct sequences, announced in order", async () => {
    const database = await kit.database();
    const { store, eventsNamed } = await kit.open(database.url);
    const stored = await Promise.all(
      Array.from({ length: 16 }, (_, i) => ingestBuffer(store, testMessage({ subject: `c${i}` }))),
    );
    expect(new Set(stored.map((message) => message.sequence)).size).toBe(16);
    expect(eventsNamed("message.stored").map((event) => event.message.sequence)).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    expect(await rowCount(database.url)).toBe(16);
  });
});
