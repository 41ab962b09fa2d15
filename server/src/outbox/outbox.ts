import type { DeliveryAttempt } from "@mailnest/protocol";
import { MAX_ATTEMPT_RESPONSE_CHARS } from "@mailnest/protocol";
import { Journal } from "./journal.js";
import { newId } from "./new-id.js";
import type { OutboxRecord } from "./outbox-state.js";
import { type Job, type Lane, type LaneSettings, OutboxState, parseOutboxRecord } from "./outbox-state.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from "./retry-policy.js";
import type { DeliveryTurn, RecordJournal, SharedOutboxes } from "./shared-outboxes.js";

export type { Job, LaneSettings } from "./outbox-state.js";

/** What one attempt came to, as the performer reports it. */
export type AttemptResult =
  | {
      ok: true;
      /** HTTP status or SMTP reply code. */
      status: number | null;
      response?: string | null;
      /** Something worth logging beside the success (recipients a relay refused). */
      note?: string | null;
    }
  | {
      ok: false;
      status: number | null;
      error: string;
      response?: string | null;
      /** Retrying cannot help (an SMTP 5xx, the message is gone): the job goes dead at once. */
      permanent?: boolean;
    };

export interface OutboxOptions<P> {
  /** The journal file, or null to keep everything in memory. Ignored with `shared`. */
  file: string | null;
  /**
   * Keep the journal in `outboxes` under `name` instead, shared by every instance of the sandbox:
   * each holds the same lanes and jobs, and only the holder of the delivery turn attempts them.
   */
  shared?: { outboxes: SharedOutboxes; name: string } | null;
  /** Job ids are `<prefix>_<ulid>`, e.g. "dl" for webhook deliveries. */
  jobIdPrefix: string;
  /** Makes one attempt. Should honour `signal` (aborted on timeout and at shutdown); may not throw. */
  perform(job: Readonly<Job<P>>, signal: AbortSignal): Promise<AttemptResult>;
  retry?: Partial<RetryPolicy>;
  /** An attempt still running after this long counts as failed. @default 30_000 */
  attemptTimeoutMs?: number;
  /** Delivered and dead jobs kept per lane for the log (the oldest are forgotten). @default 1000 */
  keepFinishedPerLane?: number;
  /** Jobs waiting per lane; beyond it a new job is recorded as dead at once. @default 10_000 */
  maxPendingPerLane?: number;
  /** Bytes appended before the journal is compacted. */
  compactAfterBytes?: number;
  random?: () => number;
}

/** Thrown for an unknown lane or job id. */
export class OutboxLookupError extends Error {
  override readonly name = "OutboxLookupError" as const;
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;
/** After the journal refused a record, the lane waits this long before trying again. */
const JOURNAL_RETRY_MS = 1000;

/**
 * A durable delivery queue: jobs in lanes (a webhook endpoint, the relay), attempted in order per
 * lane, retried with exponential backoff and jitter until they succeed or their retry window is
 * over (then dead, kept in the log, redeliverable). Every change is a journal record, made durable
 * before it takes effect, so pending jobs survive a restart or a `kill -9` (docs/integrations.md).
 *
 * Delivery is at least once: an attempt that succeeded just before a crash, whose record had not
 * reached the disk, is made again after the restart.
 *
 * `enqueue` does its synchronous part (queueing the record) and returns; callers on a hot path
 * (a bus listener during SMTP ingest) do not wait for the disk.
 */
export class Outbox<P, M> {
  readonly #state: OutboxState<P, M>;
  readonly #options: OutboxOptions<P>;
  readonly #retry: RetryPolicy;
  readonly #attemptTimeoutMs: number;
  readonly #maxPending: number;
  readonly #random: () => number;
  #journal!: RecordJournal<OutboxRecord<P, M>>;
  /** With a shared journal: whether this instance makes the attempts now. */
  #turn: DeliveryTurn | null = null;
  #unsubscribeTurn: () => void = () => {};
  /** Jobs whose attempt is running, with the controller that aborts it. */
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Jobs queued for the journal, per lane, not yet applied: they count toward `maxPendingPerLane`. */
  readonly #uncommitted = new Map<string, number>();
  readonly #listeners = new Set<(job: Readonly<Job<P>>) => void>();
  /** Jobs whose last attempt could not be recorded: not retried before this time (ms). */
  readonly #notBefore = new Map<string, number>();
  #started = false;
  #closing = false;

  private constructor(options: OutboxOptions<P>) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.#maxPending = options.maxPendingPerLane ?? 10_000;
    this.#random = options.random ?? Math.random;
    this.#state = new OutboxState(options.keepFinishedPerLane ?? 1000);
  }

  /** Replays the journal; nothing is attempted until `start()`. */
  static async open<P, M>(options: OutboxOptions<P>): Promise<Outbox<P, M>> {
    const outbox = new Outbox<P, M>(options);
    const state = outbox.#state;
    const shared = options.shared ?? null;
    const apply = (record: OutboxRecord<P, M>) => {
      state.apply(record);
      // Another instance's changes of a lane arrive here too: a deletion stops its attempts, and
      // an unpaused lane starts on the instance that delivers.
      if (record.op === "drop-lane") outbox.#abortOrphans();
      if (record.op === "lane" && !outbox.#closing) outbox.#pump(record.id);
    };
    outbox.#journal =
      shared === null
        ? await Journal.open<OutboxRecord<P, M>>({
            path: options.file,
            parse: parseOutboxRecord,
            apply,
            snapshot: () => state.snapshot(),
            ...(options.compactAfterBytes === undefined
              ? {}
              : { compactAfterBytes: options.compactAfterBytes }),
          })
        : await shared.outboxes.openJournal<OutboxRecord<P, M>>(shared.name, {
            parse: parseOutboxRecord,
            apply,
            snapshot: () => state.snapshot(),
            reset: () => state.clear(),
          });
    state.onJobChanged = (job) => {
      for (const listener of outbox.#listeners) listener(job);
      if (!outbox.#closing && !outbox.#beyondPumpWindow(job)) outbox.#pump(job.lane);
    };
    if (shared !== null) {
      const turn = shared.outboxes.deliveryTurn(shared.name);
      outbox.#turn = turn;
      outbox.#unsubscribeTurn = turn.onChange((held) => {
        if (held) outbox.#pumpAll();
        else outbox.#interruptAll(new TurnLost());
      });
    }
    return outbox;
  }

  /** Starts attempting what is due (after a restart: everything pending, oldest first per lane). */
  start(): void {
    this.#started = true;
    this.#pumpAll();
  }

  /** Whether this instance makes the attempts: always, unless the journal is shared and another has the turn. */
  get delivering(): boolean {
    return this.#turn?.held ?? true;
  }

  /**
   * Runs `work` alone among the instances sharing the journal, once this one has applied every
   * record committed before (see `RecordJournal.exclusive`).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#journal.exclusive(work);
  }

  lanes(): Array<Readonly<Lane<P, M>>> {
    return [...this.#state.lanes.values()];
  }

  lane(id: string): Readonly<Lane<P, M>> | null {
    return this.#state.lanes.get(id) ?? null;
  }

  job(id: string): Readonly<Job<P>> | null {
    return this.#state.jobs.get(id) ?? null;
  }

  /** A lane's jobs, newest first. */
  jobs(laneId: string): Array<Readonly<Job<P>>> {
    const lane = this.#state.lanes.get(laneId);
    if (!lane) return [];
    return [...lane.finished.values(), ...lane.pending.values()].sort(
      (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
    );
  }

  /** Creates or updates a lane; resolves once durable. */
  async putLane(id: string, meta: M, settings: LaneSettings): Promise<Readonly<Lane<P, M>>> {
    await this.#journal.append({ op: "lane", id, meta, ...settings });
    this.#pump(id);
    return this.#state.lanes.get(id)!;
  }

  /** Forgets a lane and every job in it (an attempt in flight is aborted). */
  async dropLane(id: string): Promise<boolean> {
    if (!this.#state.lanes.has(id)) return false;
    await this.#journal.append({ op: "drop-lane", id });
    return true;
  }

  /** Aborts the attempts whose job is gone (its lane dropped, here or by another instance). */
  #abortOrphans(): void {
    for (const [jobId, running] of this.#running) {
      if (!this.#state.jobs.has(jobId)) running.controller.abort(new Error("the lane was deleted"));
    }
  }

  /**
   * Adds a job at the end of its lane. The record is queued synchronously; the promise resolves
   * once it is durable (with `durable: false`, once it is written, and fdatasync'd within a second:
   * for jobs a crash's loss of which the producer repairs, see `Journal`). With `deadReason` the job
   * is recorded as dead without any attempt (a payload over a limit). A lane already holding
   * `maxPendingPerLane` jobs gets the job dead, too.
   */
  enqueue(
    laneId: string,
    payload: P,
    options: {
      sequence?: number | null;
      redeliveryOf?: string | null;
      deadReason?: string | null;
      durable?: boolean;
    } = {},
  ): Promise<Readonly<Job<P>>> {
    const lane = this.#state.lanes.get(laneId);
    if (!lane) return Promise.reject(new OutboxLookupError(`no lane "${laneId}"`));
    const now = Date.now();
    const waiting = lane.pending.size + (this.#uncommitted.get(laneId) ?? 0);
    const deadReason =
      options.deadReason ??
      (waiting >= this.#maxPending
        ? `not attempted: ${waiting} deliveries were already waiting (limit ${this.#maxPending})`
        : null);
    const job: Job<P> = {
      id: newId(this.#options.jobIdPrefix, now),
      lane: laneId,
      payload,
      createdAt: now,
      sequence: options.sequence ?? null,
      redeliveryOf: options.redeliveryOf ?? null,
      state: deadReason === null ? "pending" : "dead",
      attempts: [],
      attemptCount: 0,
      nextAttemptAt: now,
      firstAttemptAt: null,
      deadReason,
    };
    this.#uncommitted.set(laneId, (this.#uncommitted.get(laneId) ?? 0) + 1);
    return this.#journal
      .append({ op: "job", job }, { durable: options.durable ?? true })
      .then(() => this.#state.jobs.get(job.id) ?? job)
      .finally(() => {
        const left = (this.#uncommitted.get(laneId) ?? 1) - 1;
        if (left === 0) this.#uncommitted.delete(laneId);
        else this.#uncommitted.set(laneId, left);
      });
  }

  /** A new job with the same payload at the end of the lane (the original stays in the log as it was). */
  redeliver(jobId: string): Promise<Readonly<Job<P>>> {
    const job = this.#state.jobs.get(jobId);
    if (!job) return Promise.reject(new OutboxLookupError(`no delivery "${jobId}"`));
    return this.enqueue(job.lane, job.payload, { sequence: job.sequence, redeliveryOf: job.id });
  }

  /** Called with every job a committed record changed. Returns the unsubscribe function. */
  onChange(listener: (job: Readonly<Job<P>>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stops starting attempts, aborts those running (each is logged as interrupted and stays
   * pending, so it is made again after the restart) and closes the journal.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#unsubscribeTurn();
    await this.#interruptAll(new ShutdownAbort());
    // Before the journal: the turn's holder is then free to another instance only once this one
    // has recorded its interrupted attempts.
    await this.#turn?.close();
    await this.#journal.close();
  }

  #pumpAll(): void {
    for (const lane of this.#state.lanes.keys()) this.#pump(lane);
  }

  /** Stops every timer and attempt; the jobs stay pending (an interrupted attempt is made again). */
  async #interruptAll(reason: Interruption): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const running of this.#running.values()) running.controller.abort(reason);
    await Promise.all([...this.#running.values()].map((running) => running.done));
  }

  /** Starts whatever jobs of the lane are due and fit in its concurrency; arms a timer for the next one. */
  #pump(laneId: string): void {
    const lane = this.#state.lanes.get(laneId);
    const timer = this.#timers.get(laneId);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(laneId);
    }
    if (!lane || lane.paused || !this.#started || this.#closing || !this.delivering) return;
    const now = Date.now();
    let slots = Math.max(1, lane.concurrency);
    let nextDue = Number.POSITIVE_INFINITY;
    for (const job of lane.pending.values()) {
      if (slots === 0) break;
      slots -= 1;
      if (this.#running.has(job.id)) continue;
      const due = Math.max(job.nextAttemptAt, this.#notBefore.get(job.id) ?? 0);
      if (due <= now) this.#attempt(job);
      else nextDue = Math.min(nextDue, due);
    }
    if (nextDue !== Number.POSITIVE_INFINITY) {
      const wake = setTimeout(() => this.#pump(laneId), Math.min(nextDue - now, 2 ** 31 - 1));
      wake.unref();
      this.#timers.set(laneId, wake);
    }
  }

  /**
   * Whether `job` was just queued behind as many pending jobs as its lane attempts at once: `#pump`
   * looks only at those first ones, so it would start nothing and arm the same timer. A burst
   * behind a slow endpoint queues thousands of jobs this way, one per message stored.
   */
  #beyondPumpWindow(job: Readonly<Job<P>>): boolean {
    if (job.state !== "pending" || job.attempts.length > 0) return false;
    const lane = this.#state.lanes.get(job.lane);
    // New jobs go last in `pending` (a Map keeps insertion order).
    return lane !== undefined && lane.pending.size > Math.max(1, lane.concurrency);
  }

  #attempt(job: Job<P>): void {
    const controller = new AbortController();
    const done = this.#runAttempt(job, controller).finally(() => {
      this.#running.delete(job.id);
      if (!this.#closing) this.#pump(job.lane);
    });
    this.#running.set(job.id, { controller, done });
  }

  async #runAttempt(job: Job<P>, controller: AbortController): Promise<void> {
    const startedAt = Date.now();
    const result = await this.#performWithTimeout(job, controller);
    const finishedAt = Date.now();
    const interrupted = controller.signal.reason instanceof Interruption;
    const attempt: DeliveryAttempt = {
      attempt: job.attemptCount + 1,
      at: new Date(startedAt).toISOString(),
      status: result.status,
      latencyMs: finishedAt - startedAt,
      error: result.ok ? (result.note ?? null) : result.error,
      response: clip(result.response ?? null),
    };
    const firstAttemptAt = job.firstAttemptAt ?? startedAt;
    let record: OutboxRecord<P, M>;
    if (result.ok) {
      record = { op: "attempt", id: job.id, attempt, state: "delivered", nextAttemptAt: 0, deadReason: null };
    } else if (interrupted) {
      // Not the receiver's fault: made again at the next start, without backoff.
      record = { op: "attempt", id: job.id, attempt, state: "pending", nextAttemptAt: 0, deadReason: null };
    } else {
      const nextAttemptAt = finishedAt + retryDelay(this.#retry, attempt.attempt, this.#random);
      const giveUp = result.permanent === true || nextAttemptAt - firstAttemptAt > this.#retry.giveUpAfterMs;
      record = giveUp
        ? {
            op: "attempt",
            id: job.id,
            attempt,
            state: "dead",
            nextAttemptAt: 0,
            deadReason:
              result.permanent === true
                ? `permanent failure: ${result.error}`
                : `gave up after ${attempt.attempt} attempts over ${formatDuration(finishedAt - firstAttemptAt)}: ${result.error}`,
          }
        : { op: "attempt", id: job.id, attempt, state: "pending", nextAttemptAt, deadReason: null };
    }
    try {
      // Not fdatasync'd at once: an attempt whose record a power cut loses is simply made again.
      await this.#journal.append(record, { durable: false });
      this.#notBefore.delete(job.id);
    } catch (error) {
      // Nothing changed: the job is still pending and is tried again shortly.
      console.error("mailnest: could not record a delivery attempt:", error);
      this.#notBefore.set(job.id, Date.now() + JOURNAL_RETRY_MS);
    }
  }

  async #performWithTimeout(job: Job<P>, controller: AbortController): Promise<AttemptResult> {
    const timeoutMs = this.#attemptTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<AttemptResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        resolve({ ok: false, status: null, error: `timed out after ${timeoutMs} ms` });
      }, timeoutMs);
    });
    const aborted = new Promise<AttemptResult>((resolve) => {
      controller.signal.addEventListener("abort", () => {
        resolve({ ok: false, status: null, error: reasonText(controller.signal.reason) });
      });
    });
    try {
      return await Promise.race([
        this.#options
          .perform(job, controller.signal)
          .catch((error: unknown): AttemptResult => ({ ok: false, status: null, error: reasonText(error) })),
        timedOut,
        aborted,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** An attempt stopped for a reason of this instance's, not the receiver's: made again, without backoff. */
class Interruption extends Error {}

class ShutdownAbort extends Interruption {
  constructor() {
    super("interrupted: Mailnest shut down during the attempt");
  }
}

class TurnLost extends Interruption {
  constructor() {
    super("interrupted: this instance lost its turn to deliver (another instance makes the attempt)");
  }
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function clip(text: string | null): string | null {
  return text === null || text.length <= MAX_ATTEMPT_RESPONSE_CHARS
    ? text
    : text.slice(0, MAX_ATTEMPT_RESPONSE_CHARS);
}

function formatDuration(ms: number): string {
  if (ms < 10_000) return `${ms} ms`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
