/**
 * How long a worker thread must have had nothing to do before its heap is given back. Long enough
 * that a burst's pauses (a client between two messages) do not trigger it; short enough that a CI
 * job's server is small again before the next job sends.
 */
export const IDLE_RELEASE_MS = 1000;

/** What a thread tells the release about its work. */
export interface IdleHeapRelease {
  /** Work started: a release waiting for the thread to stay idle is called off. */
  busy(): void;
  /** The thread has nothing left to do: after `idleMs` of that, its heap is compacted. */
  idle(): void;
}

/**
 * Gives a worker thread's garbage back to the system once the thread goes quiet after work.
 *
 * V8 shrinks the main thread's heap by itself when the process goes quiet (its memory reducer), but
 * a worker thread's heap stayed as large as the last burst made it: after 20,000 messages on 16
 * connections the verification thread held about 38 MB of garbage in old space, a fifth of the
 * server's resident memory, for as long as the process lived (docs/performance.md, 3 December).
 * The only supported way to ask V8 for a collection that also compacts and unmaps is the inspector's
 * `HeapProfiler.collectGarbage` (an in-process session: no port is opened). It costs the thread a
 * few milliseconds once per quiet period, never while it has work, and nothing when it did no work
 * since the last release.
 */
export function createIdleHeapRelease(
  options: { idleMs?: number; release?: () => Promise<void> } = {},
): IdleHeapRelease {
  const idleMs = options.idleMs ?? IDLE_RELEASE_MS;
  const release = options.release ?? collectAllGarbage;
  let timer: NodeJS.Timeout | null = null;
  /** Whether the thread worked since its heap was last released. */
  let worked = false;

  return {
    busy() {
      worked = true;
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
    },
    idle() {
      if (!worked || timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        worked = false;
        void release().catch(() => {
          // A build without the inspector, or a failed collection: the heap stays as it was, which
          // is what it did before this existed.
        });
      }, idleMs);
      // A pending release never keeps a thread (or a process) alive.
      timer.unref();
    },
  };
}

/** A full, compacting collection of this thread's heap, as a heap profiler's "collect garbage" does. */
async function collectAllGarbage(): Promise<void> {
  // Loaded at the first release: a thread that is never idle after work never loads it.
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.collectGarbage");
  } finally {
    session.disconnect();
  }
}
