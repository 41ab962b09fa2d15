import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { IdleStops } from "../idle-stops.js";
import type { MessageParser } from "../store/message-store.js";
import type { ParsedView, RawSource } from "../store/model.js";
import type { ParseReply, ParseRequest } from "./parser-messages.js";

/** The worker's compiled entry; absent when running from the TypeScript sources (tests, tsx). */
const WORKER_FILE = new URL("./parser-worker.js", import.meta.url);

/** Whether parsing threads can be started here (the server runs from its build). */
export function parserThreadsAvailable(): boolean {
  return WORKER_FILE.protocol === "file:" && existsSync(fileURLToPath(WORKER_FILE));
}

/**
 * `--parse-threads auto`: one core is the event loop's, the others parse; but none on two cores or
 * fewer. There the SMTP clients (a test suite, the bench's load generator) take the other core: in
 * same-run comparisons on the 2-core bench machine (docs/performance.md) a parsing thread gave 2 KB
 * messages no gain that stood out of the noise, and cost 1 MiB ones 3–8 ms more CPU each (waking
 * threads, a second isolate's JIT and heap) at a lower rate.
 */
export function defaultParserThreads(cores: number = availableParallelism()): number {
  return cores <= 2 ? 0 : cores - 1;
}

type InThreadParser = MessageParser & Required<Pick<MessageParser, "parseSource">>;

/** A parser that runs on worker threads; `close` stops them. */
export interface ParserPool extends InThreadParser {
  readonly threads: number;
  /** Resolves once every thread is ready to parse, or will not be (it failed to start, or `close`). */
  whenReady(): Promise<void>;
  /** Terminates the threads; what is in flight, and every later call, is parsed on the main thread. */
  close(): Promise<void>;
  /** Threads started and not stopped (idle, dead or closed): `mailnest_parse_threads_running`. */
  runningThreads(): number;
}

interface InFlight {
  source: RawSource;
  worker: Worker;
  resolve(view: ParsedView): void;
}

/** Threads that die before they are ready, in a row, after which parsing stays on the main thread. */
const MAX_START_FAILURES = 3;

/**
 * How long a thread may go without a message before it is stopped: each holds its own V8 isolate
 * and mailparser's code, about as much resident memory as a verification thread (verifier-pool.ts),
 * for mail that may not come for hours. The next message is parsed on the main thread while the
 * stopped threads start again, so stopping one adds nothing to a 250.
 */
export const PARSER_IDLE_STOP_MS = 60_000;

/**
 * Parsing of incoming messages on `threads` worker threads, so that mailparser (about 0.2 ms of CPU
 * for a 2 KB message, about 20 ms per MiB) runs beside the SMTP and HTTP event loop instead of on it
 * (docs/performance.md). Only ingest's `parseSource` goes to the threads: a buffered message is sent
 * as a copy of its bytes whose ArrayBuffer is transferred, not cloned (the original stays with the
 * store, which still commits it); a large one as its temp file's path, which the thread reads itself.
 * `parse` of a stream (recovery, reconciliation) and `attachmentContent` stay on the main thread.
 *
 * The main thread parses (`fallback`, the same parser) whenever no thread can: before the first one
 * has loaded, after `close`, and for the messages of a thread that dies (crash, `terminate`, a reply
 * that cannot be read). So a message is never lost or left waiting, and its view is the same either
 * way. A thread that dies is replaced at once; threads that keep dying before they are ready (an
 * entry that cannot load) stop being started after three attempts. A thread idle for
 * `stopAfterIdleMs` is stopped, and started again by the next message.
 */
export function createParserPool(options: {
  threads: number;
  fallback: InThreadParser;
  /** How a thread is started; tests start one from the TypeScript sources. */
  spawn?: () => Worker;
  /** Stop a thread after this long without a message (default `PARSER_IDLE_STOP_MS`). */
  stopAfterIdleMs?: number;
}): ParserPool {
  const { fallback } = options;
  const slots: (Worker | null)[] = Array.from({ length: Math.max(1, options.threads) }, () => null);
  const inFlight = new Map<number, InFlight>();
  /** Requests in flight per thread that has said it is ready. */
  const ready = new Map<Worker, number>();
  const readyWaiters: (() => void)[] = [];
  let startFailures = 0;
  let nextId = 1;
  let closed = false;
  /** Slots whose thread was stopped for being idle; the next message starts them again. */
  const stopped = new Set<number>();
  /** Threads being stopped for being idle: their exit is not a failure to replace. */
  const stopping = new WeakSet<Worker>();
  const idleStops = new IdleStops<Worker>(options.stopAfterIdleMs ?? PARSER_IDLE_STOP_MS);
  const stopWhenIdle = (worker: Worker) =>
    idleStops.arm(worker, () => {
      const slot = slots.indexOf(worker);
      if (slot < 0 || ready.get(worker) !== 0) return;
      // Out of `ready` first, so no message is handed to a thread on its way out.
      stopping.add(worker);
      ready.delete(worker);
      slots[slot] = null;
      stopped.add(slot);
      void worker.terminate();
    });

  const settled = () =>
    closed || startFailures >= MAX_START_FAILURES || ready.size + stopped.size === slots.length;
  const wakeReadyWaiters = () => {
    if (settled()) for (const wake of readyWaiters.splice(0)) wake();
  };

  /** Hands the messages of a thread that is gone to the main thread. */
  const rescue = (worker: Worker) => {
    for (const [id, request] of inFlight) {
      if (request.worker !== worker) continue;
      inFlight.delete(id);
      void fallback.parseSource(request.source).then(request.resolve);
    }
  };

  const track = (worker: Worker, delta: number) => {
    const count = (ready.get(worker) ?? 0) + delta;
    ready.set(worker, count);
    // A thread with nothing to do must not keep the process alive; a request in flight re-refs it.
    if (count === 0) {
      worker.unref();
      stopWhenIdle(worker);
    } else if (delta > 0 && count === 1) {
      worker.ref();
      idleStops.disarm(worker);
    }
  };

  const start = (slot: number): void => {
    const worker = options.spawn ? options.spawn() : new Worker(WORKER_FILE);
    worker.unref();
    slots[slot] = worker;
    worker.on("message", (reply: ParseReply) => {
      if (reply.kind === "ready") {
        startFailures = 0;
        ready.set(worker, 0);
        stopWhenIdle(worker);
        wakeReadyWaiters();
        return;
      }
      const request = inFlight.get(reply.id);
      if (!request) return;
      inFlight.delete(reply.id);
      track(worker, -1);
      request.resolve(reply.view);
    });
    let gone = false;
    const onGone = () => {
      if (gone) return;
      gone = true;
      idleStops.disarm(worker);
      // Stopped for being idle: nothing was in flight, and the next message starts it again.
      if (stopping.has(worker)) return;
      if (!ready.delete(worker)) startFailures += 1;
      rescue(worker);
      if (slots[slot] === worker) {
        slots[slot] = null;
        // A replacement, ready for the next message (the main thread parses until it is).
        if (!closed && startFailures < MAX_START_FAILURES) start(slot);
      }
      wakeReadyWaiters();
    };
    worker.on("error", onGone);
    worker.on("exit", onGone);
    // A reply that cannot be deserialised leaves its request unanswerable: end the thread, which
    // hands everything it held to the main thread.
    worker.on("messageerror", () => void worker.terminate());
  };

  /** The least busy ready thread, or null (the main thread parses). */
  const pick = (): Worker | null => {
    let best: Worker | null = null;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const [worker, load] of ready) {
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
      }
    }
    return best;
  };

  // Started now, so that they are ready by the time mail arrives.
  for (let slot = 0; slot < slots.length; slot += 1) start(slot);

  return {
    threads: slots.length,
    whenReady() {
      return new Promise((resolve) => {
        readyWaiters.push(resolve);
        wakeReadyWaiters();
      });
    },
    parse(raw: Readable) {
      return fallback.parse(raw);
    },
    parseSource(source) {
      if (stopped.size > 0 && !closed) {
        // Mail again after a quiet spell: this message is parsed here while the threads start.
        for (const slot of stopped) start(slot);
        stopped.clear();
      }
      const worker = closed ? null : pick();
      if (worker === null) return fallback.parseSource(source);
      const id = nextId++;
      return new Promise<ParsedView>((resolve) => {
        inFlight.set(id, { source, worker, resolve });
        track(worker, 1);
        if (source.kind === "file") {
          worker.postMessage({ id, source } satisfies ParseRequest);
          return;
        }
        // One copy of exactly the message, moved rather than cloned. (A small Buffer is a view into
        // a shared 8 KiB slab, which could be neither transferred nor cloned without copying it all.)
        const bytes = new Uint8Array(source.bytes);
        worker.postMessage({ id, source: { kind: "bytes", bytes } } satisfies ParseRequest, [bytes.buffer]);
      });
    },
    attachmentContent(raw, index, sha256) {
      return fallback.attachmentContent(raw, index, sha256);
    },
    runningThreads() {
      return slots.filter((worker) => worker !== null).length;
    },
    async close() {
      closed = true;
      idleStops.clear();
      stopped.clear();
      const workers = slots.filter((worker): worker is Worker => worker !== null);
      slots.fill(null);
      for (const worker of workers) rescue(worker);
      wakeReadyWaiters();
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
