import { createHash } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { systemClock } from "../clock.js";
import { EventBus, type MailnestEventName, type MailnestEvents } from "../events/bus.js";
import { messageParser } from "../smtp/parse-message.js";
import type { BlobStore } from "../store/blob-store.js";
import { createMessageStore, type StoreConfig, type StoreDeps } from "../store/create-message-store.js";
import { createMemoryIndexStorage } from "../store/index-storage.js";
import { openLocalStore } from "../store/local-message-store.js";
import { createMemoryBlobStore } from "../store/memory-blob-store.js";
import type { MessageStore } from "../store/message-store.js";
import type { IncomingEnvelope, StoredMessage } from "../store/model.js";
import { createDatabaseOn, type TestDatabase } from "./postgres/test-database.js";
import { testPostgresServerUrl } from "./postgres/use-test-database.js";

/**
 * Where a contract test runs its store: a data directory, memory, or a fresh database on the run's
 * PostgreSQL (`test-support/postgres/`; a test fails, never skips, when there is none).
 */
export const STORE_BACKENDS = ["on disk", "in memory", "on PostgreSQL"] as const;
export type StoreBackend = (typeof STORE_BACKENDS)[number];

/** Temp data dirs, databases and open stores of one test file; `cleanup()` in afterEach closes and deletes them. */
export function createStoreKit() {
  const dirs: string[] = [];
  const databases: TestDatabase[] = [];
  const stores: MessageStore[] = [];

  return {
    async tempDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), "mailnest-store-"));
      dirs.push(dir);
      return dir;
    },

    /**
     * What a kill -9 leaves behind: the data directory as it is while the store still runs
     * (everything written is in the page cache). The live store is closed afterwards; the copy is
     * opened as after a restart. The store renames files in the background (the segment locators:
     * a temp file, then a rename), and a copy that listed the temp file before the rename finds it
     * gone; a kill -9 never sees that half state, so the copy is taken again.
     */
    async crashCopy(dataDir: string): Promise<string> {
      for (let attempt = 1; ; attempt += 1) {
        const copy = await this.tempDir();
        try {
          await cp(dataDir, copy, { recursive: true });
          return copy;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 20) throw error;
        }
      }
    },

    /** Opens a store (on `dataDir`, or in memory for null) with an event recorder on its bus. */
    async open(dataDir: string | null, options: Partial<Omit<StoreConfig, "dataDir"> & StoreDeps> = {}) {
      const bus = options.bus ?? new EventBus();
      const recorder = recordStoreEvents(bus);
      const store = await createMessageStore(
        {
          dataDir,
          databaseUrl: options.databaseUrl ?? null,
          maxMessages: options.maxMessages ?? 10_000,
          maxAgeMs: options.maxAgeMs ?? null,
        },
        {
          parser: options.parser ?? messageParser,
          bus,
          ...(options.fileStore ? { fileStore: options.fileStore } : {}),
          ...(options.snapshotRefresh ? { snapshotRefresh: options.snapshotRefresh } : {}),
          ...(options.authenticator ? { authenticator: options.authenticator } : {}),
        },
      );
      stores.push(store);
      return { store, bus, ...recorder };
    },

    /** Opens an empty store on `backend` (see `STORE_BACKENDS`). */
    async openBackend(
      backend: StoreBackend,
      options: Partial<Omit<StoreConfig, "dataDir" | "databaseUrl"> & StoreDeps> = {},
    ) {
      if (backend === "on PostgreSQL") {
        const database = await createDatabaseOn(testPostgresServerUrl());
        databases.push(database);
        return this.open(null, { ...options, databaseUrl: database.url });
      }
      return this.open(backend === "on disk" ? await this.tempDir() : null, options);
    },

    /** An in-memory store whose blob store counts the sidecars read through it. */
    async openCounting(bus = new EventBus()) {
      const counts = { sidecarReads: 0 };
      const blobs = countSidecarReads(createMemoryBlobStore(), counts);
      const store = await openLocalStore({
        blobs,
        indexStorage: createMemoryIndexStorage(),
        clock: systemClock,
        parser: messageParser,
        bus,
        policy: { maxMessages: 10_000, maxAgeMs: null },
      });
      stores.push(store);
      return { store, bus, counts };
    },

    async cleanup(): Promise<void> {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
      await Promise.all(databases.splice(0).map((database) => database.drop()));
    },
  };
}

function countSidecarReads(inner: BlobStore, counts: { sidecarReads: number }): BlobStore {
  return {
    ...inner,
    readSidecar(id) {
      counts.sidecarReads += 1;
      return inner.readSidecar(id);
    },
    readSidecarSync(id) {
      counts.sidecarReads += 1;
      return inner.readSidecarSync(id);
    },
  };
}

/** Records what a store announces on `bus`, in order; `eventsNamed` picks one kind. */
export function recordStoreEvents(bus: EventBus) {
  const events: { name: MailnestEventName; event: unknown }[] = [];
  for (const name of [
    "message.stored",
    "message.updated",
    "message.deleted",
    "inbox.created",
    "inbox.cleared",
    "inbox.deleted",
  ] as const) {
    bus.on(name, (event) => events.push({ name, event }));
  }
  return {
    events,
    eventsNamed<K extends MailnestEventName>(name: K): MailnestEvents[K][] {
      return events.filter((entry) => entry.name === name).map((entry) => entry.event as MailnestEvents[K]);
    },
  };
}

export function testEnvelope(overrides: Partial<IncomingEnvelope> = {}): IncomingEnvelope {
  return {
    mailFrom: "sender@app.test",
    rcptTo: ["user@mailnest.test"],
    remoteAddress: "127.0.0.1",
    heloName: "client.test",
    authUser: null,
    tls: null,
    ...overrides,
  };
}

/** A small RFC 5322 message with CRLF line ends. */
export function testMessage(
  fields: {
    subject?: string;
    from?: string;
    to?: string;
    cc?: string;
    text?: string;
    headers?: string[];
  } = {},
): Buffer {
  const lines = [
    `From: ${fields.from ?? "Sender <sender@app.test>"}`,
    `To: ${fields.to ?? "user@mailnest.test"}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${fields.subject ?? "Hello"}`,
    "Date: Tue, 01 Jul 2025 10:00:00 +0000",
    "Message-ID: <test@app.test>",
    ...(fields.headers ?? []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    fields.text ?? "Hello there.",
    "",
  ];
  return Buffer.from(lines.join("\r\n"));
}

export function ingestBuffer(
  store: MessageStore,
  raw: Buffer,
  envelope: IncomingEnvelope = testEnvelope(),
  maxSize = 25 * 1024 * 1024,
): Promise<StoredMessage> {
  return store.ingest(chunked(raw), envelope, { maxSize });
}

/** A stream delivering `raw` in small pieces, like a socket would. */
export function chunked(raw: Buffer, size = 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < raw.length; offset += size) chunks.push(raw.subarray(offset, offset + size));
  return Readable.from(chunks);
}

export async function readAll(stream: Readable | null): Promise<Buffer> {
  if (stream === null) throw new Error("expected a stream, got null");
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Hex sha256, for comparing what was sent with what the store serves. */
export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
