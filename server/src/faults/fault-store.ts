import { MAX_FAULT_LOG_ENTRIES, normalizeAddress } from "@mailnest/protocol";
import { RuleBook } from "../rules/rule-book.js";
import { newRuleId } from "../rules/rule-id.js";
import { BehaviorState, type FaultEffect, type Verdict } from "./fault-behaviors.js";
import { FAULTS_FILE, upgradeFaultDocument } from "./fault-document.js";
import {
  defaultFaultMessage,
  type FaultLogEntry,
  type FaultRule,
  type FaultRuleInput,
} from "./fault-rule.js";
import { byPrecedence, type FaultOccasion, occasionInboxes, ruleMatches } from "./match-fault.js";
import type { FaultLogRecord, SharedFaultRules } from "./shared-fault-rules.js";

export type { FaultEffect } from "./fault-behaviors.js";

export interface FaultStoreOptions {
  /** null = memory only. */
  dataDir: string | null;
  /** For tests of probabilities in between 0 and 1; `Math.random` otherwise. */
  random?: () => number;
  /** For tests of greylisting and rate windows; `Date.now` otherwise. */
  now?: () => number;
  /** The log keeps the newest entries only: a chaos soak must not grow the file without bound. */
  maxLogEntries?: number;
  /**
   * Where the API's rules and the log live when instances share them (PostgreSQL): `dataDir` then
   * keeps nothing. Null = this instance's own (memory or `faults.json`).
   */
  shared?: SharedFaultRules | null;
}

/** A fault that struck: the rule as it was when it fired, its log entry, and what to do. */
/** `#act`'s "this rule does not strike: try the next". */
const NEXT = Symbol("next rule");

export interface FaultHit {
  rule: FaultRule;
  /** Without its sequence when the log is shared: that is given when the entry is stored. */
  entry: FaultLogRecord;
  effect: FaultEffect;
}

/**
 * The fault rules and the log of injected faults, in memory for the SMTP hooks (which decide
 * synchronously, so two connections can never both take a rule's last injection) and saved to
 * `<dataDir>/faults.json` after every change. `--chaos`, `--greylist` and `--rate-limit` rules
 * (`origin: "cli"`) are not saved. What greylisting and rate limits remember is in memory only.
 *
 * With `shared` (PostgreSQL), the API's rules and the whole log live there instead, for every
 * instance of the sandbox, and so does what greylisting and rate limits remember; matching still
 * runs on an in-memory copy, and only a shared rule with a limited count, greylisting and rate
 * limits make the hook wait for the database (docs/scaling.md, "Fault rules").
 */
export class FaultStore {
  readonly #book: RuleBook<FaultRule, FaultLogEntry>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #state: BehaviorState;
  readonly #shared: SharedFaultRules | null;
  /** Shared-log writes still in flight, so `flushed()` can wait for them. */
  readonly #pending = new Set<Promise<unknown>>();
  #sharedFailed = false;

  private constructor(book: RuleBook<FaultRule, FaultLogEntry>, options: FaultStoreOptions) {
    this.#book = book;
    this.#shared = options.shared ?? null;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#state = new BehaviorState(this.#now, options.shared?.memory ?? null);
  }

  static async open(options: FaultStoreOptions): Promise<FaultStore> {
    const book = await RuleBook.open<FaultRule, FaultLogEntry>({
      dataDir: options.shared ? null : options.dataDir,
      file: FAULTS_FILE,
      label: "the fault rules",
      maxLogEntries: options.maxLogEntries ?? MAX_FAULT_LOG_ENTRIES,
      upgrade: upgradeFaultDocument,
    });
    return new FaultStore(book, options);
  }

  /** Active rules, in the order they are tried (shared ones as this instance last read them). */
  rules(): FaultRule[] {
    return this.#candidates().map((rule) => ({ ...rule }));
  }

  /**
   * The rules this instance applies now, in the order they are tried, shared ones with their
   * counters as stored now. The set is this instance's copy, not the database's: a rule added or
   * deleted through another instance is listed here exactly when it starts or stops applying here.
   */
  async currentRules(): Promise<FaultRule[]> {
    if (this.#shared === null) return this.rules();
    const stored = new Map((await this.#shared.list()).map((rule) => [rule.id, rule]));
    return this.#candidates().map((rule) => ({ ...(stored.get(rule.id) ?? rule) }));
  }

  /** The rules the SMTP hooks try: this instance's own (CLI) first, then the shared ones; targeted before global. */
  #candidates(): FaultRule[] {
    const shared = this.#shared?.rules ?? [];
    return [...this.#book.rules, ...shared].sort(byPrecedence);
  }

  /** Adds a rule; resolves once it is saved (shared: stored, and applied on this instance). */
  async add(input: FaultRuleInput, origin: FaultRule["origin"] = "api"): Promise<FaultRule> {
    const id = newRuleId("flt");
    const rule: FaultRule = {
      id,
      ...input,
      message: input.message ?? defaultFaultMessage(input, id),
      remaining: input.times,
      triggered: 0,
      origin,
      createdAt: new Date(this.#now()).toISOString(),
    };
    // CLI rules are each instance's own: every instance's flags add them again.
    if (this.#shared === null || origin === "cli") return this.#book.add(rule);
    await this.#shared.insert(rule);
    return { ...rule };
  }

  async remove(id: string): Promise<boolean> {
    this.#state.forget(id);
    if (await this.#book.remove(id)) return true;
    if (this.#shared === null || !(await this.#shared.delete(id))) return false;
    this.#state.forget(id, true);
    return true;
  }

  /** Removes every rule, CLI ones included (they come back on the next start). Returns how many. */
  async clear(): Promise<number> {
    const local = await this.#book.clear();
    const shared = (await this.#shared?.clear()) ?? [];
    for (const id of local) this.#state.forget(id);
    for (const id of shared) this.#state.forget(id, true);
    return local.length + shared.length;
  }

  /**
   * Injected faults, oldest first; with `inbox`, only those that concerned that inbox. This
   * instance's log only: with a shared log use `currentLog`.
   */
  log(filter: { inbox?: string } = {}): FaultLogEntry[] {
    return this.#book.log.list(concerns(filter));
  }

  /** Injected faults, oldest first, by every instance when the log is shared. */
  async currentLog(filter: { inbox?: string } = {}): Promise<FaultLogEntry[]> {
    if (this.#shared === null) return this.log(filter);
    await this.flushed();
    return (await this.#shared.log()).filter(concerns(filter));
  }

  async clearLog(): Promise<number> {
    if (this.#shared === null) return this.#book.clearLog();
    // As `currentLog`: the entries this instance is still writing behind its replies are cleared too.
    await this.flushed();
    return this.#shared.clearLog();
  }

  /** The SMTP listener reports each connection, so limits per client and per connection can count. */
  connectionOpened(connectionId: string, remoteAddress: string): void {
    this.#state.opened(connectionId, remoteAddress);
  }

  connectionClosed(connectionId: string): void {
    this.#state.closed(connectionId);
  }

  /**
   * Called by the SMTP hooks at each stage. The first matching rule that strikes (its behaviour
   * says so and its probability comes up) fires: its remaining count drops (a used-up rule is
   * removed), the fault is logged, and the change is saved in the background. Null = carry on
   * normally. A greylisted triple let through is logged too, without firing.
   */
  trigger(occasion: FaultOccasion): FaultHit | null {
    const hit = this.decide(occasion);
    if (hit instanceof Promise) {
      throw new Error(
        "FaultStore.trigger met a verdict that needs the shared store (a limited shared rule, greylisting or a rate limit on PostgreSQL): use decide(), which may wait",
      );
    }
    return hit;
  }

  /**
   * `trigger` for the SMTP hooks when rules may be shared: a shared rule with a limited count
   * takes its use from the shared store first (one round trip, exact across instances), so the
   * answer is then a promise. Every other answer is immediate. A use that cannot be taken (used up
   * elsewhere meanwhile, or the database unreachable) means no fault: the command carries on.
   */
  decide(occasion: FaultOccasion): FaultHit | null | Promise<FaultHit | null> {
    const candidates = this.#candidates();
    if (candidates.length === 0) return null;
    return this.#scan(candidates, 0, occasion, occasionInboxes(occasion));
  }

  /**
   * Tries `candidates` from `from` on. Synchronous until a rule's verdict needs the shared memory
   * (greylisting, a rate limit, on PostgreSQL): then the rest is tried once it is in.
   */
  #scan(
    candidates: FaultRule[],
    from: number,
    occasion: FaultOccasion,
    inboxes: string[],
  ): FaultHit | null | Promise<FaultHit | null> {
    for (let i = from; i < candidates.length; i++) {
      const rule = candidates[i]!;
      if (!ruleMatches(rule, occasion, inboxes)) continue;
      const verdict = this.#state.decide(rule, occasion, this.#roll(rule));
      if (verdict instanceof Promise) {
        return verdict.then(
          (known) => {
            this.#sharedFailed = false;
            const outcome = this.#act(rule, known, occasion, inboxes);
            return outcome === NEXT ? this.#scan(candidates, i + 1, occasion, inboxes) : outcome;
          },
          (error: unknown) => {
            // The memory cannot be reached: this rule does not apply meanwhile (never over-applied).
            this.#sharedFailure(error);
            return this.#scan(candidates, i + 1, occasion, inboxes);
          },
        );
      }
      const outcome = this.#act(rule, verdict, occasion, inboxes);
      if (outcome !== NEXT) return outcome;
    }
    return null;
  }

  /** Rolls the rule's probability: 1 always fires and 0 never does, without asking the random source. */
  #roll(rule: FaultRule): () => boolean {
    return () => rule.probability >= 1 || (rule.probability > 0 && this.#random() < rule.probability);
  }

  /** What a matching rule's verdict comes to: a hit, or NEXT to try the next rule. */
  #act(
    rule: FaultRule,
    verdict: Verdict,
    occasion: FaultOccasion,
    inboxes: string[],
  ): FaultHit | null | Promise<FaultHit | null> | typeof NEXT {
    if (!verdict.fires) {
      if ("note" in verdict) {
        this.#append(rule, occasion, inboxes, verdict.note);
        this.#book.saveSoon();
      }
      return NEXT;
    }
    if (this.#shared !== null && rule.origin === "api") {
      return this.#fireShared(this.#shared, rule, occasion, inboxes, verdict);
    }
    rule.triggered += 1;
    if (rule.remaining !== null) rule.remaining -= 1;
    const entry = this.#append(rule, occasion, inboxes, verdict.logged);
    if (rule.remaining === 0) {
      this.#state.forget(rule.id);
      this.#book.drop(rule);
    } else {
      this.#book.saveSoon();
    }
    return { rule: { ...rule }, entry: structuredClone(entry), effect: verdict.effect };
  }

  /**
   * A shared rule fired here. Unlimited: the fault is injected at once and its count and log entry
   * are written behind it. Limited: the use is taken first, and the fault injected only if it was,
   * once its log entry is stored.
   */
  #fireShared(
    shared: SharedFaultRules,
    rule: FaultRule,
    occasion: FaultOccasion,
    inboxes: string[],
    verdict: { effect: FaultEffect; logged: { code: number | null; message: string } },
  ): FaultHit | null | Promise<FaultHit | null> {
    const entry = this.#record(rule, occasion, inboxes, verdict.logged);
    if (rule.remaining === null) {
      rule.triggered += 1;
      this.#behind(shared.consume(rule.id).then(() => shared.appendLog(entry)));
      return { rule: { ...rule }, entry: structuredClone(entry), effect: verdict.effect };
    }
    return shared.consume(rule.id).then(
      async (used) => {
        this.#sharedFailed = false;
        if (used === null) return null;
        if (used.remaining === 0) this.#state.forget(rule.id, true);
        // Logged before the reply: once a client has its refusal, every instance's log lists it.
        // The use is taken either way, so a log that fails to save does not undo the fault.
        await shared.appendLog(entry).catch((error: unknown) => this.#sharedFailure(error));
        return { rule: used, entry: structuredClone(entry), effect: verdict.effect };
      },
      (error: unknown) => {
        this.#sharedFailure(error);
        return null;
      },
    );
  }

  /** A shared write the SMTP answer does not wait for; `flushed()` does. */
  #behind(write: Promise<unknown>): void {
    const tracked = write.then(
      () => {
        this.#sharedFailed = false;
      },
      (error: unknown) => this.#sharedFailure(error),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Said once per outage, not once per command. */
  #sharedFailure(error: unknown): void {
    if (this.#sharedFailed) return;
    this.#sharedFailed = true;
    console.error(
      "mailnest: the shared fault rules could not be reached; faults are not injected meanwhile:",
      error,
    );
  }

  /** Resolves once every change so far is on disk or in the shared store (a failure is logged, not thrown). */
  async flushed(): Promise<void> {
    await Promise.all([...this.#pending]);
    await this.#book.flushed();
  }

  /** Waits for the last save. The store stays usable: closing only means nothing is left in flight. */
  async close(): Promise<void> {
    await this.flushed();
    await this.#shared?.close();
  }

  /** Logs a fault: in this instance's log, or written behind to the shared one. */
  #append(
    rule: FaultRule,
    occasion: FaultOccasion,
    inboxes: string[],
    outcome: { code: number | null; message: string },
  ): FaultLogRecord {
    const record = this.#record(rule, occasion, inboxes, outcome);
    if (this.#shared === null) return this.#book.log.append(record);
    this.#behind(this.#shared.appendLog(record));
    return record;
  }

  #record(
    rule: FaultRule,
    occasion: FaultOccasion,
    inboxes: string[],
    outcome: { code: number | null; message: string },
  ): FaultLogRecord {
    return {
      at: new Date(this.#now()).toISOString(),
      ruleId: rule.id,
      behavior: rule.behavior,
      stage: occasion.stage,
      code: outcome.code,
      status: outcome.code === null || outcome.code < 400 ? null : rule.status,
      message: outcome.message,
      inboxes,
      envelope: structuredClone(occasion.envelope),
    };
  }
}

function concerns(filter: { inbox?: string }): (entry: FaultLogEntry) => boolean {
  const inbox = filter.inbox === undefined ? undefined : normalizeAddress(filter.inbox);
  return (entry) => inbox === undefined || entry.inboxes.includes(inbox);
}
