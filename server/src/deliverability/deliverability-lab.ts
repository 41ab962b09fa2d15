import { open } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import type { DkimKey, DnsMode, DnsRecord } from "@mailnest/protocol";
import type { MailnestConfig } from "../config.js";
import type { MessageAuthenticator } from "../store/message-store.js";
import { createDkimKey } from "./dkim-keys.js";
import { InvalidDnsRecordError } from "./dns-record.js";
import { createDnsResolver, type SystemDns } from "./dns-resolver.js";
import { type DnsRecordSelector, DnsZone, ZoneFullError } from "./dns-zone.js";
import { bytesToVerify } from "./header-fields.js";
import type { MessageVerifier, MessageVerifierOptions } from "./message-verifier.js";
import { recordKey, SAVED_ZONE_FILE, SavedZone } from "./saved-zone.js";
import { holdsSigningKeys, publishesSigningKey, signedMailOnThreads } from "./signed-mail-on-threads.js";
import { unfinishedAuthentication } from "./unfinished-verification.js";
import { reusingVerdicts } from "./verdict-reuse.js";
import type { VerifierWorkerData } from "./verifier-messages.js";
import { createVerifierPool, verifierThreadsAvailable } from "./verifier-pool.js";
import { localZoneEditor, type ZoneEditor } from "./zone-editor.js";
import { readZoneFile, ZoneFileError, type ZoneFileRecord } from "./zone-file.js";

/** What the lab reads of the configuration. */
export type DeliverabilityConfig = Pick<
  MailnestConfig,
  "verifyAuth" | "verifyThreads" | "dnsZoneFile" | "dnsMode" | "domain"
>;

/**
 * The deliverability lab of one server (docs/authentication.md): the zone the tests control, the
 * resolver over it, and the verifier the store runs on every message.
 */
export interface DeliverabilityLab {
  /** The zone lookups read: this instance's, or its copy of the shared zone (`shareZone`). */
  readonly zone: DnsZone;
  readonly mode: DnsMode;
  readonly verifier: MessageVerifier;
  /** What the store calls at ingest; null when `--verify-auth off`. */
  readonly authenticator: MessageAuthenticator | null;
  /** Where verification runs: on worker threads (the default, from the build) or the event loop. */
  readonly threads: number;
  /** Verification threads running now (they stop after a minute without work): `/metrics`. */
  runningThreads(): number;
  /** Adds one record (checked and normalized) and returns it as stored (`DnsZone.add`). */
  addRecord(input: { name: unknown; type: unknown; value: unknown; ttl?: unknown }): Promise<DnsRecord>;
  /** Removes the selected records; resolves with how many went. */
  removeRecords(selector: DnsRecordSelector): Promise<number>;
  /** Creates a key pair, publishes the public key in the zone, returns the private key. */
  createDkimKey(request: {
    domain: unknown;
    selector: unknown;
    algorithm?: unknown;
    bits?: unknown;
  }): Promise<DkimKey>;
  /**
   * From now on the zone is the sandbox's shared one (PostgreSQL, docs/scaling.md "DNS"): `open`
   * gets this instance's zone, publishes what it holds (the zone file's records) and keeps it a
   * copy of the shared zone; the API's changes then go through it.
   */
  shareZone(open: (zone: DnsZone) => Promise<ZoneEditor>): Promise<void>;
  /**
   * From now on the zone is kept in `dataDir` (the embedded sandbox with a data directory): the
   * records saved there last come back, the zone file's join them again (as with `shareZone`), and
   * every change through the API is saved before it is answered.
   */
  keepZone(dataDir: string): Promise<void>;
  /** Stops the verification threads (messages still being verified finish on the main thread). */
  close(): Promise<void>;
}

/**
 * Builds the lab; with `dnsZoneFile`, loads it first. A zone file that cannot be used throws a
 * `ZoneFileError` whose message is one line naming the file and the line.
 */
export async function createDeliverabilityLab(
  config: DeliverabilityConfig,
  options: {
    system?: SystemDns;
    /** Verification threads start once this resolves (or at the first message); absent: at once. */
    threadsAfter?: Promise<void>;
    /** How a verification thread is started; tests start one from the TypeScript sources. */
    spawnThread?: (workerData: VerifierWorkerData) => Worker;
    /** How the event loop's verifier is loaded; tests count it. */
    loadVerifier?: VerifierModuleLoader;
  } = {},
): Promise<DeliverabilityLab> {
  const zone = new DnsZone();
  const zoneFile = config.dnsZoneFile;
  const fileRecords = zoneFile === null ? [] : await loadZoneFile(zone, zoneFile);
  // The zone holds only the file's records yet: they are not saved with the API's (`keepZone`).
  const fileKeys = new Set(zone.list().map(recordKey));
  const resolver = createDnsResolver({
    zone,
    mode: config.dnsMode,
    ...(options.system ? { system: options.system } : {}),
  });
  let closed = false;
  const onEventLoop = verifierLoadedWhenUsed({ resolver, authservId: config.domain }, options.loadVerifier);
  // Threads need the compiled worker: running from the TypeScript sources (tests, `pnpm dev`),
  // verification stays on the event loop.
  const threadsAvailable = options.spawnThread !== undefined || verifierThreadsAvailable();
  // In zone mode only signed mail goes to a thread, so the threads start ahead of it only once the
  // zone publishes a key to check signatures with (signed-mail-on-threads.ts).
  const zoneOnly = config.dnsMode === "zone";
  const pool =
    config.verifyAuth && config.verifyThreads > 0 && threadsAvailable
      ? createVerifierPool({
          resolver,
          authservId: config.domain,
          threads: config.verifyThreads,
          fallback: onEventLoop,
          startAhead: !zoneOnly || holdsSigningKeys(zone),
          ...(options.threadsAfter ? { startAfter: options.threadsAfter } : {}),
          ...(options.spawnThread ? { spawn: options.spawnThread } : {}),
        })
      : null;
  if (pool !== null && zoneOnly) {
    zone.onChange((change) => {
      if (publishesSigningKey(change)) pool.warm();
    });
    // In place of the thread that started here before unsigned mail stayed on the event loop: its
    // verifier loads once the server is up, so the first message need not wait about 0.25 s for it.
    // (With `--verify-threads 0` it still loads at the first message.)
    // A load that fails here fails again at the first message, which is where it is reported.
    void (options.threadsAfter ?? Promise.resolve())
      .then(() => (closed ? undefined : onEventLoop.preload()))
      .catch(() => {});
  }
  const routed = pool === null ? onEventLoop : zoneOnly ? signedMailOnThreads(pool, onEventLoop) : pool;
  const verifier = reusingVerdicts(routed, zone);
  let editor = localZoneEditor(zone);
  return {
    zone,
    mode: config.dnsMode,
    verifier,
    threads: pool === null ? 0 : config.verifyThreads,
    runningThreads: () => pool?.runningThreads() ?? 0,
    authenticator: config.verifyAuth
      ? authenticatorOver(verifier, { mode: config.dnsMode, authservId: config.domain })
      : null,
    addRecord: (input) => editor.edit((records) => records.add(input)),
    removeRecords: (selector) => editor.edit((records) => records.remove(selector)),
    createDkimKey: (request) => createDkimKey(editor, request),
    shareZone: async (open) => {
      const shared = await open(zone);
      try {
        // The zone file joins the shared zone, as if each record were added through the API.
        await shared.edit((records) =>
          addFileRecords(
            records,
            fileRecords,
            zoneFile ?? "",
            " (beside the records of the DNS zone shared through PostgreSQL)",
          ),
        );
      } catch (error) {
        await shared.close();
        throw error;
      }
      editor = shared;
    },
    keepZone: async (dataDir) => {
      const { saved, kept } = await SavedZone.open(dataDir, fileKeys);
      zone.replace(saved);
      addFileRecords(zone, fileRecords, zoneFile ?? "", ` (beside the records saved in ${SAVED_ZONE_FILE})`);
      // Nothing is written until the API changes the zone: a start on a full disk must not fail here.
      editor = kept.editor(zone);
    },
    close: async () => {
      closed = true;
      await editor.close();
      await pool?.close();
    },
  };
}

/** How the event loop's verifier is loaded: `import()`, or a stand-in that counts (tests). */
export type VerifierModuleLoader = () => Promise<typeof import("./verify-message.js")>;

/**
 * The event loop's own verifier (unsigned mail in zone mode, `--verify-threads 0`, or a thread that
 * died), whose code, with mailauth and the public suffix list behind it, loads at its first message
 * or at `preload()`: loading it at start cost about 60 ms of every start and 2.5 MB of heap, for a
 * sandbox that may receive no mail, or verify all of it on threads (`--dns-mode system`).
 */
function verifierLoadedWhenUsed(
  options: MessageVerifierOptions,
  loadModule: VerifierModuleLoader = () => import("./verify-message.js"),
): MessageVerifier & { preload(): Promise<void> } {
  let loaded: Promise<{ verifier: MessageVerifier; loadParts(): void }> | null = null;
  const ready = () => {
    loaded ??= loadModule().then((module) => ({
      verifier: module.createMessageVerifier(options),
      loadParts: module.loadMailauthParts,
    }));
    return loaded;
  };
  return {
    resolver: options.resolver,
    verify(input) {
      return ready().then(({ verifier }) => verifier.verify(input));
    },
    async preload() {
      const { loadParts } = await ready();
      // Two steps (this module, then mailauth's parts: about 130 and 70 ms here, measured on the
      // unbundled build), with the event loop's turn between them.
      await new Promise((resolve) => setImmediate(resolve));
      loadParts();
    },
  };
}

/** Adds the file's records to `zone`; returns them with their lines. */
async function loadZoneFile(zone: DnsZone, file: string): Promise<ZoneFileRecord[]> {
  const records = await readZoneFile(file);
  addFileRecords(zone, records, file);
  return records;
}

/** Adds a zone file's records; one the zone refuses is a `ZoneFileError` naming its line (and `context`). */
function addFileRecords(zone: DnsZone, records: readonly ZoneFileRecord[], file: string, context = ""): void {
  for (const { record, line } of records) {
    try {
      zone.add(record);
    } catch (error) {
      if (error instanceof InvalidDnsRecordError || error instanceof ZoneFullError) {
        throw new ZoneFileError(file, line, `${error.message}${context}`);
      }
      throw error;
    }
  }
}

/** The store's view of the verifier: bytes and envelope in, verdicts out. */
/**
 * Messages above this size are not verified: the verifier (mailauth) needs the whole message in
 * memory, which for a 25 MB message more than doubled the server's resident memory. Their verdicts
 * say so (temperror, with this reason), so a test sees why, rather than a slow or wrong answer.
 */
export const MAX_VERIFIED_BYTES = 10 * 1024 * 1024;
/** What is kept of a larger message: enough for its header fields (the DKIM-Signature tags). */
const HEADER_BYTES_KEPT = 256 * 1024;

function authenticatorOver(
  verifier: MessageVerifier,
  settings: { mode: DnsMode; authservId: string },
): MessageAuthenticator {
  return {
    async authenticate(source, envelope, size) {
      const started = performance.now();
      const tooLarge = size > MAX_VERIFIED_BYTES;
      // A message over the limit is not verified: only its head is read (for the header fields).
      const limit = tooLarge ? HEADER_BYTES_KEPT : MAX_VERIFIED_BYTES;
      // Bytes in memory go to the verifier before the first await: the store starts parsing only
      // after this call, so the verifier's thread works beside the parse instead of after it.
      const raw =
        source.kind === "bytes" ? source.bytes.subarray(0, limit) : await readToVerify(source.path, limit);
      const input = {
        raw,
        ip: envelope.remoteAddress,
        helo: envelope.heloName,
        mailFrom: envelope.mailFrom,
      };
      if (!tooLarge) return verifier.verify(input);
      return unfinishedAuthentication(
        input,
        `not verified: the message is ${size} bytes, above the verification limit of ${MAX_VERIFIED_BYTES} bytes`,
        { ...settings, lookups: [], durationMs: Math.round(performance.now() - started) },
      );
    },
  };
}

/** Read first from a message on disk: enough for the header section of nearly any message. */
const HEAD_READ_BYTES = 64 * 1024;

/**
 * What verification needs of a message that was too large to keep in memory: its header section
 * alone when no field makes DKIM or ARC hash the body (read in one small read instead of the whole
 * file, then copied to the verifier's thread), otherwise up to `limit` bytes.
 */
async function readToVerify(path: string, limit: number): Promise<Buffer> {
  const headLimit = Math.min(limit, HEAD_READ_BYTES);
  const head = await readHead(path, headLimit);
  const needed = bytesToVerify(head);
  const truncated = head.length === headLimit && headLimit < limit;
  // `head` itself comes back when the body is needed or the header section runs past the read.
  return needed === head && truncated ? readHead(path, limit) : needed;
}

/** Up to `limit` bytes from the start of a file (a message that was too large to keep in memory). */
async function readHead(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = Buffer.allocUnsafe(Math.min(size, limit));
    let filled = 0;
    while (filled < head.length) {
      const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return head.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
