import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { MessageAuthentication } from "@mailnest/protocol";
import { IdleStops } from "../idle-stops.js";
import type { DnsResolver } from "./dns-resolver.js";
import {
  DEFAULT_VERIFY_TIMEOUT_MS,
  type MessageVerifier,
  type VerificationInput,
} from "./message-verifier.js";
import { unfinishedAuthentication } from "./unfinished-verification.js";
import type { FromWorker, ToWorker, VerifierWorkerData, VerifyRequest } from "./verifier-messages.js";

/** The worker's compiled entry; absent when running from the TypeScript sources (tests, tsx). */
const WORKER_FILE = new URL("./verifier-worker.js", import.meta.url);

/**
 * A small young generation for a verification thread. With V8's default (semi-spaces that grow to
 * 16 MB each under load) the thread's heap stayed about 20 MB larger after a burst; it allocates
 * little that lives, and it is idle most of the time, so the extra scavenges cost nothing visible.
 */
const VERIFIER_THREAD_LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * How long a verification thread may go without a message before it is stopped. A thread holds
 * about 17 MB resident even with its heap compacted (its own V8 isolate, Node's bootstrap, mailauth's
 * code, its malloc arena): a ninth of a sandbox with 50,000 messages, kept for mail that mostly never
 * comes, since in zone mode only signed mail is verified on a thread (signed-mail-on-threads.ts).
 * The next message that needs one starts it again and waits for it to load and warm up: its 250 came
 * about 0.45 s later here than with a thread kept (docs/performance.md), once per quiet minute, as
 * the first message after startup can.
 */
export const VERIFIER_IDLE_STOP_MS = 60_000;

/** Whether verification threads can be started here (the server runs from its build). */
export function verifierThreadsAvailable(): boolean {
  return WORKER_FILE.protocol === "file:" && existsSync(fileURLToPath(WORKER_FILE));
}

/**
 * Verification on `threads` worker threads, so that it runs beside the SMTP and HTTP event loop
 * instead of on it: on a 2-core machine it takes the second core, and a message that is slow to
 * verify never delays another connection's 250. Each thread keeps a copy of the zone, fed every
 * change in order (a record added through the API before a message is sent is there when that
 * message is verified). A thread that dies has its messages verified on the main thread (`fallback`)
 * and is replaced; one that does not answer within the verification timeout (plus a second) yields
 * `temperror` verdicts, as a slow verification on the main thread does, and is stopped.
 */
export function createVerifierPool(options: {
  resolver: DnsResolver;
  authservId: string;
  threads: number;
  fallback: MessageVerifier;
  /** How long a thread may take to answer before its message gets temperror verdicts (tests shorten it). */
  timeoutMs?: number;
  /** How a thread is started; tests start one from the TypeScript sources. */
  spawn?: (workerData: VerifierWorkerData) => Worker;
  /**
   * Threads start when this resolves (or at the first message, whichever comes first): loading
   * mailauth's parts in a thread takes a core for about 170 ms, which would slow the server's own
   * startup on a small machine. Absent: at once.
   */
  startAfter?: Promise<void>;
  /**
   * Whether the threads start when `startAfter` resolves (the default) or only for a message, or
   * when `warm()` asks: a sandbox that never receives signed mail never needs them
   * (signed-mail-on-threads.ts).
   */
  startAhead?: boolean;
  /** Stop a thread after this long without a message (default `VERIFIER_IDLE_STOP_MS`). */
  stopAfterIdleMs?: number;
}): MessageVerifier & {
  close(): Promise<void>;
  runningThreads(): number;
  /**
   * Starts the threads not running, so the next messages need not wait for one to load (at once, or
   * when `startAfter` resolves if it has not yet); each stops again after the idle time without one.
   */
  warm(): void;
} {
  const { resolver, authservId, fallback } = options;
  const { zone } = resolver;
  const slots: (Worker | null)[] = Array.from({ length: Math.max(1, options.threads) }, () => null);
  const pending = new Map<
    number,
    {
      input: VerificationInput;
      resolve(result: MessageAuthentication): void;
      timer: NodeJS.Timeout;
      worker: Worker;
    }
  >();
  /** Whether a message was handed to `worker` and is not yet answered (nor timed out). */
  const hasPending = (worker: Worker) => {
    for (const request of pending.values()) if (request.worker === worker) return true;
    return false;
  };
  let nextId = 1;
  let turn = 0;
  let closed = false;
  const idleStops = new IdleStops<Worker>(options.stopAfterIdleMs ?? VERIFIER_IDLE_STOP_MS);
  const stopWhenIdle = (worker: Worker) =>
    idleStops.arm(worker, () => {
      const slot = slots.indexOf(worker);
      if (slot < 0 || hasPending(worker) || unposted.has(worker)) return;
      // The slot is free first: a message that comes while the thread exits starts a new one.
      slots[slot] = null;
      void worker.terminate();
    });

  const start = (slot: number): Worker => {
    const workerData: VerifierWorkerData = { records: zone.list(), mode: resolver.mode, authservId };
    const worker = options.spawn
      ? options.spawn(workerData)
      : new Worker(WORKER_FILE, { workerData, resourceLimits: VERIFIER_THREAD_LIMITS });
    // A thread with nothing to do must not keep the process alive; requests in flight re-ref it.
    worker.unref();
    worker.on("message", ({ results }: FromWorker) => {
      for (const { id, result } of results) {
        const request = pending.get(id);
        if (!request) continue;
        pending.delete(id);
        clearTimeout(request.timer);
        request.resolve(result);
      }
      if (!hasPending(worker)) {
        worker.unref();
        stopWhenIdle(worker);
      }
    });
    const fail = () => {
      idleStops.disarm(worker);
      if (slots[slot] === worker) slots[slot] = null;
      for (const [id, request] of pending) {
        if (request.worker !== worker) continue;
        pending.delete(id);
        clearTimeout(request.timer);
        void fallback.verify(request.input).then(request.resolve);
      }
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    slots[slot] = worker;
    // Started ahead of the first message (or for it): stopped again if none comes.
    stopWhenIdle(worker);
    return worker;
  };

  /** Requests of this event-loop turn not yet posted, per thread (see `ToWorker`). */
  const unposted = new Map<Worker, VerifyRequest[]>();
  const postUnposted = () => {
    for (const [worker, requests] of unposted) post(worker, requests);
    unposted.clear();
  };

  const unsubscribe = zone.onChange((change) => {
    // Messages that arrived before the change are verified against the zone as it was.
    postUnposted();
    for (const worker of slots) worker?.postMessage(change satisfies ToWorker);
  });
  const startIdleSlots = () => {
    for (let slot = 0; slot < slots.length && !closed; slot += 1) if (slots[slot] === null) start(slot);
  };
  /** Whether `startAfter` resolved; until then `warm()` is remembered in `warmWhenStarted`. */
  let afterStartup = false;
  let warmWhenStarted = options.startAhead ?? true;
  // Started ahead of the first message, so it does not wait for a thread to load.
  void (options.startAfter ?? Promise.resolve()).then(() => {
    afterStartup = true;
    if (warmWhenStarted) startIdleSlots();
  });

  return {
    resolver,
    verify(input) {
      if (closed) return fallback.verify(input);
      const slot = turn;
      turn = (turn + 1) % slots.length;
      const worker = slots[slot] ?? start(slot);
      idleStops.disarm(worker);
      const id = nextId++;
      return new Promise((resolve) => {
        const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS + 1000;
        const timer = setTimeout(() => {
          pending.delete(id);
          // A thread that does not answer in time is still at it (a message that costs a verifier
          // more than it should): it is stopped, so the mail after it does not queue behind it;
          // what else it held is verified on the main thread, and the next message starts another.
          const stuck = slots.indexOf(worker);
          if (stuck >= 0) {
            slots[stuck] = null;
            void worker.terminate();
          }
          resolve(
            unfinishedAuthentication(input, `verification did not finish within ${timeoutMs} ms`, {
              mode: resolver.mode,
              authservId,
              lookups: [],
              durationMs: timeoutMs,
            }),
          );
        }, timeoutMs);
        const idle = !hasPending(worker);
        pending.set(id, { input, resolve, timer, worker });
        worker.ref();
        const request: VerifyRequest = { id, input: { ...input, raw: new Uint8Array(input.raw) } };
        // A thread with nothing to do gets the message at once (one message at a time: nothing added
        // to its 250); a busy one gets those of this turn together at its end.
        if (idle && unposted.size === 0) {
          post(worker, [request]);
          return;
        }
        if (unposted.size === 0) setImmediate(postUnposted);
        let requests = unposted.get(worker);
        if (requests === undefined) {
          requests = [];
          unposted.set(worker, requests);
        }
        requests.push(request);
      });
    },
    runningThreads() {
      return slots.filter((worker) => worker !== null).length;
    },
    warm() {
      if (afterStartup) startIdleSlots();
      else warmWhenStarted = true;
    },
    async close() {
      closed = true;
      idleStops.clear();
      unsubscribe();
      unposted.clear();
      const workers = slots.filter((worker): worker is Worker => worker !== null);
      slots.fill(null);
      // Requests still in flight finish on the main thread.
      for (const [id, request] of pending) {
        pending.delete(id);
        clearTimeout(request.timer);
        void fallback.verify(request.input).then(request.resolve);
      }
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * Posts messages to verify, their bytes moved rather than copied: each request holds a copy of the
 * message in an ArrayBuffer of its own (made in `verify`; the caller's bytes, often a slice of Node's
 * shared 8 KiB pool, stay as they are), and transferring it hands that memory to the thread. Cloned,
 * a message was copied twice, and the main thread's copy stayed allocated until a collection found
 * it: about 7 MB of the C heap's peak during a 15,000-message fill (docs/performance.md).
 */
function post(worker: Worker, requests: VerifyRequest[]): void {
  worker.postMessage(
    { kind: "verify", requests } satisfies ToWorker,
    requests.map((request) => request.input.raw.buffer as ArrayBuffer),
  );
}
