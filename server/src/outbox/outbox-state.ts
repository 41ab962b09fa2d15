import type { DeliveryAttempt, DeliveryProgress, DeliveryState } from "@mailnest/protocol";

/**
 * The state of a durable queue, and the journal records that change it. `applyRecord` is the only
 * writer: replay at startup and live commits go through it, so what is in memory is always what a
 * replay of the journal rebuilds.
 */

/** Attempts kept per job (the newest); `attemptCount` still counts them all. */
export const MAX_ATTEMPTS_KEPT = 50;

export interface Job<P> {
  id: string;
  lane: string;
  payload: P;
  /** ms since the epoch */
  createdAt: number;
  /** The producer's position (a message sequence) when it has one: see `Lane.lastSequence`. */
  sequence: number | null;
  redeliveryOf: string | null;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  attemptCount: number;
  /** ms; when a pending job is due. */
  nextAttemptAt: number;
  /** ms; the start of the first attempt, from which the retry window is counted. */
  firstAttemptAt: number | null;
  /** Why a dead job was given up. */
  deadReason: string | null;
}

export interface LaneSettings {
  /** A paused lane keeps its jobs and starts none. */
  paused: boolean;
  /** Jobs attempted at once. 1 keeps strict order: a job starts only once every earlier one is finished. */
  concurrency: number;
}

export interface Lane<P, M> extends LaneSettings {
  id: string;
  meta: M;
  /** The highest `sequence` of any job ever put in this lane (kept when the job itself is pruned). */
  lastSequence: number;
  /** Not yet finished, in order. */
  pending: Map<string, Job<P>>;
  /** Delivered or dead, oldest first; the oldest are pruned beyond `keepFinished`. */
  finished: Map<string, Job<P>>;
}

export type OutboxRecord<P, M> =
  | { op: "lane"; id: string; meta: M; paused: boolean; concurrency: number; lastSequence?: number }
  | { op: "drop-lane"; id: string }
  | { op: "job"; job: Job<P> }
  | {
      op: "attempt";
      id: string;
      attempt: DeliveryAttempt;
      state: DeliveryState;
      nextAttemptAt: number;
      deadReason: string | null;
    };

export class OutboxState<P, M> {
  readonly lanes = new Map<string, Lane<P, M>>();
  readonly jobs = new Map<string, Job<P>>();
  readonly #keepFinished: number;
  /** Told about every job a record changed (after the change). */
  onJobChanged: (job: Job<P>) => void = () => {};

  constructor(keepFinished: number) {
    this.#keepFinished = keepFinished;
  }

  apply(record: OutboxRecord<P, M>): void {
    switch (record.op) {
      case "lane": {
        const lane = this.lanes.get(record.id);
        if (lane) {
          lane.meta = record.meta;
          lane.paused = record.paused;
          lane.concurrency = record.concurrency;
          lane.lastSequence = Math.max(lane.lastSequence, record.lastSequence ?? 0);
        } else {
          this.lanes.set(record.id, {
            id: record.id,
            meta: record.meta,
            paused: record.paused,
            concurrency: record.concurrency,
            lastSequence: record.lastSequence ?? 0,
            pending: new Map(),
            finished: new Map(),
          });
        }
        return;
      }
      case "drop-lane": {
        const lane = this.lanes.get(record.id);
        if (!lane) return;
        for (const id of [...lane.pending.keys(), ...lane.finished.keys()]) this.jobs.delete(id);
        this.lanes.delete(record.id);
        return;
      }
      case "job": {
        const lane = this.lanes.get(record.job.lane);
        if (!lane || this.jobs.has(record.job.id)) return;
        // The record's job becomes the state's: a record is made for this one use (or parsed fresh).
        const job = record.job;
        this.jobs.set(job.id, job);
        if (job.sequence !== null) lane.lastSequence = Math.max(lane.lastSequence, job.sequence);
        if (job.state === "pending") lane.pending.set(job.id, job);
        else this.#finish(lane, job);
        this.onJobChanged(job);
        return;
      }
      case "attempt": {
        const job = this.jobs.get(record.id);
        const lane = job && this.lanes.get(job.lane);
        if (!job || !lane || job.state !== "pending") return;
        job.attempts.push(record.attempt);
        if (job.attempts.length > MAX_ATTEMPTS_KEPT) job.attempts.shift();
        job.attemptCount = Math.max(job.attemptCount + 1, record.attempt.attempt);
        job.firstAttemptAt ??= Date.parse(record.attempt.at);
        job.state = record.state;
        job.nextAttemptAt = record.nextAttemptAt;
        job.deadReason = record.deadReason;
        if (job.state !== "pending") {
          lane.pending.delete(job.id);
          this.#finish(lane, job);
        }
        this.onJobChanged(job);
        return;
      }
    }
  }

  /** Forgets every lane and job (a shared journal's snapshot then rebuilds them). */
  clear(): void {
    this.lanes.clear();
    this.jobs.clear();
  }

  /** The whole state as records: per lane, its settings, then its finished and pending jobs in order. */
  snapshot(): OutboxRecord<P, M>[] {
    const records: OutboxRecord<P, M>[] = [];
    for (const lane of this.lanes.values()) {
      const { id, meta, paused, concurrency, lastSequence } = lane;
      records.push({ op: "lane", id, meta, paused, concurrency, lastSequence });
      for (const job of lane.finished.values()) records.push({ op: "job", job });
      for (const job of lane.pending.values()) records.push({ op: "job", job });
    }
    return records;
  }

  #finish(lane: Lane<P, M>, job: Job<P>): void {
    lane.finished.set(job.id, job);
    while (lane.finished.size > this.#keepFinished) {
      const oldest = lane.finished.keys().next().value as string;
      lane.finished.delete(oldest);
      this.jobs.delete(oldest);
    }
  }
}

/** A record read back from a journal, checked just enough that `apply` cannot trip over it. */
export function parseOutboxRecord<P, M>(value: unknown): OutboxRecord<P, M> | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as { op?: unknown; id?: unknown; job?: unknown; attempt?: unknown };
  switch (record.op) {
    case "lane":
    case "drop-lane":
      return typeof record.id === "string" ? (value as OutboxRecord<P, M>) : null;
    case "job": {
      const job = record.job as Partial<Job<P>> | null;
      return typeof job === "object" &&
        job !== null &&
        typeof job.id === "string" &&
        typeof job.lane === "string" &&
        Array.isArray(job.attempts)
        ? (value as OutboxRecord<P, M>)
        : null;
    }
    case "attempt":
      return typeof record.id === "string" && typeof record.attempt === "object" && record.attempt !== null
        ? (value as OutboxRecord<P, M>)
        : null;
    default:
      return null;
  }
}

/** A job's progress as the API shows it (webhook deliveries and releases alike). */
export function progressOf(job: Readonly<Job<unknown>>): DeliveryProgress {
  return {
    state: job.state,
    createdAt: new Date(job.createdAt).toISOString(),
    nextAttemptAt: job.state === "pending" ? new Date(job.nextAttemptAt).toISOString() : null,
    attempts: structuredClone(job.attempts),
    deadReason: job.deadReason,
    redeliveryOf: job.redeliveryOf,
  };
}
