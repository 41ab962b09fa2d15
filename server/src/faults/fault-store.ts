import { MAX_FAULT_LOG_ENTRIES, normalizeAddress } from "@mailnest/protocol";
import { RuleBook } from "../rules/rule-book.js";
import { newRuleId } from "../rules/rule-id.js";
import { BehaviorState, type FaultEffect } from "./fault-behaviors.js";
import { FAULTS_FILE, upgradeFaultDocument } from "./fault-document.js";
import {
  defaultFaultMessage,
  type FaultLogEntry,
  type FaultRule,
  type FaultRuleInput,
} from "./fault-rule.js";
import { byPrecedence, type FaultOccasion, occasionInboxes, ruleMatches } from "./match-fault.js";

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
}

/** A fault that struck: the rule as it was when it fired, its log entry, and what to do. */
export interface FaultHit {
  rule: FaultRule;
  entry: FaultLogEntry;
  effect: FaultEffect;
}

/**
 * The fault rules and the log of injected faults, in memory for the SMTP hooks (which decide
 * synchronously, so two connections can never both take a rule's last injection) and saved to
 * `<dataDir>/faults.json` after every change. `--chaos`, `--greylist` and `--rate-limit` rules
 * (`origin: "cli"`) are not saved. What greylisting and rate limits remember is in memory only.
 */
export class FaultStore {
  readonly #book: RuleBook<FaultRule, FaultLogEntry>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #state: BehaviorState;

  private constructor(book: RuleBook<FaultRule, FaultLogEntry>, options: FaultStoreOptions) {
    this.#book = book;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#state = new BehaviorState(this.#now);
  }

  static async open(options: FaultStoreOptions): Promise<FaultStore> {
    const book = await RuleBook.open<FaultRule, FaultLogEntry>({
      dataDir: options.dataDir,
      file: FAULTS_FILE,
      label: "the fault rules",
      maxLogEntries: options.maxLogEntries ?? MAX_FAULT_LOG_ENTRIES,
      upgrade: upgradeFaultDocument,
    });
    return new FaultStore(book, options);
  }

  /** Active rules, in the order they are tried. */
  rules(): FaultRule[] {
    return [...this.#book.rules].sort(byPrecedence).map((rule) => ({ ...rule }));
  }

  /** Adds a rule; resolves once it is saved. */
  add(input: FaultRuleInput, origin: FaultRule["origin"] = "api"): Promise<FaultRule> {
    const id = newRuleId("flt");
    return this.#book.add({
      id,
      ...input,
      message: input.message ?? defaultFaultMessage(input, id),
      remaining: input.times,
      triggered: 0,
      origin,
      createdAt: new Date(this.#now()).toISOString(),
    });
  }

  async remove(id: string): Promise<boolean> {
    this.#state.forget(id);
    return this.#book.remove(id);
  }

  /** Removes every rule, CLI ones included (they come back on the next start). Returns how many. */
  async clear(): Promise<number> {
    const removed = await this.#book.clear();
    for (const id of removed) this.#state.forget(id);
    return removed.length;
  }

  /** Injected faults, oldest first; with `inbox`, only those that concerned that inbox. */
  log(filter: { inbox?: string } = {}): FaultLogEntry[] {
    const inbox = filter.inbox === undefined ? undefined : normalizeAddress(filter.inbox);
    return this.#book.log.list((entry) => inbox === undefined || entry.inboxes.includes(inbox));
  }

  clearLog(): Promise<number> {
    return this.#book.clearLog();
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
    if (this.#book.rules.length === 0) return null;
    const inboxes = occasionInboxes(occasion);
    const roll = (rule: FaultRule) => () =>
      // Probability 1 always fires and 0 never does, without asking the random source.
      rule.probability >= 1 || (rule.probability > 0 && this.#random() < rule.probability);
    for (const rule of [...this.#book.rules].sort(byPrecedence)) {
      if (!ruleMatches(rule, occasion, inboxes)) continue;
      const verdict = this.#state.decide(rule, occasion, roll(rule));
      if (!verdict.fires) {
        if ("note" in verdict) {
          this.#append(rule, occasion, inboxes, verdict.note);
          this.#book.saveSoon();
        }
        continue;
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
    return null;
  }

  /** Resolves once every change so far is on disk (a failed save is logged, not thrown). */
  flushed(): Promise<void> {
    return this.#book.flushed();
  }

  /** Waits for the last save. The store stays usable: closing only means nothing is left in flight. */
  close(): Promise<void> {
    return this.flushed();
  }

  #append(
    rule: FaultRule,
    occasion: FaultOccasion,
    inboxes: string[],
    outcome: { code: number | null; message: string },
  ): FaultLogEntry {
    return this.#book.log.append({
      at: new Date(this.#now()).toISOString(),
      ruleId: rule.id,
      behavior: rule.behavior,
      stage: occasion.stage,
      code: outcome.code,
      status: outcome.code === null || outcome.code < 400 ? null : rule.status,
      message: outcome.message,
      inboxes,
      envelope: structuredClone(occasion.envelope),
    });
  }
}
