import { randomBytes } from "node:crypto";
import { MAX_FAULT_LOG_ENTRIES, normalizeAddress } from "@mailnest/protocol";
import { Low } from "lowdb";
import {
  emptyFaultDocument,
  type FaultDocument,
  faultDocumentAdapter,
  readFaultDocument,
} from "./fault-document.js";
import {
  defaultFaultMessage,
  type FaultLogEntry,
  type FaultRule,
  type FaultRuleInput,
} from "./fault-rule.js";
import { byPrecedence, type FaultOccasion, occasionInboxes, ruleMatches } from "./match-fault.js";

/** The log keeps the newest entries only: a chaos soak must not grow the file without bound. */
/** 32 symbols, so each random byte maps to one without bias. */
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

export interface FaultStoreOptions {
  /** null = memory only. */
  dataDir: string | null;
  /** For tests of probabilities in between 0 and 1; `Math.random` otherwise. */
  random?: () => number;
  maxLogEntries?: number;
}

/** A fault that struck: the rule as it was when it fired, and its log entry. */
export interface FaultHit {
  rule: FaultRule;
  entry: FaultLogEntry;
}

/**
 * The fault rules and the log of injected faults, in memory for the SMTP hooks (which decide
 * synchronously, so two connections can never both take a rule's last injection) and saved to
 * `<dataDir>/faults.json` after every change. `--chaos` rules (`origin: "cli"`) are not saved.
 */
export class FaultStore {
  readonly #db: Low<FaultDocument>;
  readonly #random: () => number;
  readonly #maxLog: number;
  #rules: FaultRule[];
  #log: FaultLogEntry[];
  #logSequence: number;
  #lastWrite: Promise<void> = Promise.resolve();
  #writeFailed = false;

  private constructor(db: Low<FaultDocument>, saved: FaultDocument, options: FaultStoreOptions) {
    this.#db = db;
    this.#random = options.random ?? Math.random;
    this.#maxLog = options.maxLogEntries ?? MAX_FAULT_LOG_ENTRIES;
    this.#rules = saved.rules.filter((rule) => rule.origin === "api");
    this.#log = saved.log;
    this.#logSequence = saved.logSequence;
  }

  static async open(options: FaultStoreOptions): Promise<FaultStore> {
    const adapter = await faultDocumentAdapter(options.dataDir);
    const saved = await readFaultDocument(adapter, options.dataDir);
    return new FaultStore(new Low(adapter, emptyFaultDocument()), saved, options);
  }

  /** Active rules, in the order they are tried. */
  rules(): FaultRule[] {
    return [...this.#rules].sort(byPrecedence).map((rule) => ({ ...rule }));
  }

  /** Adds a rule; resolves once it is saved. */
  async add(input: FaultRuleInput, origin: FaultRule["origin"] = "api"): Promise<FaultRule> {
    const id = newRuleId();
    const rule: FaultRule = {
      id,
      ...input,
      message: input.message ?? defaultFaultMessage(input.code, id),
      remaining: input.times,
      triggered: 0,
      origin,
      createdAt: new Date().toISOString(),
    };
    this.#rules.push(rule);
    await this.#save();
    return { ...rule };
  }

  async remove(id: string): Promise<boolean> {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((rule) => rule.id !== id);
    if (this.#rules.length === before) return false;
    await this.#save();
    return true;
  }

  /** Removes every rule, `--chaos` ones included (they come back on the next start). Returns how many. */
  async clear(): Promise<number> {
    const removed = this.#rules.length;
    this.#rules = [];
    await this.#save();
    return removed;
  }

  /** Injected faults, oldest first; with `inbox`, only those that concerned that inbox. */
  log(filter: { inbox?: string } = {}): FaultLogEntry[] {
    const inbox = filter.inbox === undefined ? undefined : normalizeAddress(filter.inbox);
    const entries =
      inbox === undefined ? this.#log : this.#log.filter((entry) => entry.inboxes.includes(inbox));
    return entries.map((entry) => structuredClone(entry));
  }

  async clearLog(): Promise<number> {
    const removed = this.#log.length;
    this.#log = [];
    await this.#save();
    return removed;
  }

  /**
   * Called by the SMTP hooks at each stage. The first matching rule whose probability comes up
   * fires: its remaining count drops (a used-up rule is removed), the fault is logged, and the
   * change is saved in the background. Null = carry on normally.
   */
  trigger(occasion: FaultOccasion): FaultHit | null {
    if (this.#rules.length === 0) return null;
    const inboxes = occasionInboxes(occasion);
    for (const rule of [...this.#rules].sort(byPrecedence)) {
      if (!ruleMatches(rule, occasion, inboxes)) continue;
      // Probability 1 always fires and 0 never does, without asking the random source.
      if (rule.probability <= 0) continue;
      if (rule.probability < 1 && !(this.#random() < rule.probability)) continue;
      rule.triggered += 1;
      if (rule.remaining !== null) rule.remaining -= 1;
      if (rule.remaining === 0) this.#rules = this.#rules.filter((other) => other !== rule);
      const entry: FaultLogEntry = {
        sequence: ++this.#logSequence,
        at: new Date().toISOString(),
        ruleId: rule.id,
        stage: occasion.stage,
        code: rule.code,
        message: rule.message,
        inboxes,
        envelope: structuredClone(occasion.envelope),
      };
      this.#log.push(entry);
      if (this.#log.length > this.#maxLog) this.#log.splice(0, this.#log.length - this.#maxLog);
      void this.#save().catch(() => {});
      return { rule: { ...rule }, entry: structuredClone(entry) };
    }
    return null;
  }

  /** Resolves once every change so far is on disk (a failed save is logged, not thrown). */
  async flushed(): Promise<void> {
    await this.#lastWrite;
  }

  /** Waits for the last save. The store stays usable: closing only means nothing is left in flight. */
  close(): Promise<void> {
    return this.flushed();
  }

  #save(): Promise<void> {
    this.#db.data = {
      version: 1,
      rules: this.#rules.filter((rule) => rule.origin === "api"),
      log: this.#log,
      logSequence: this.#logSequence,
    };
    // steno queues writes and coalesces the ones waiting, so the newest document always lands last.
    const write = this.#db.write().then(
      () => {
        this.#writeFailed = false;
      },
      (error: unknown) => {
        if (!this.#writeFailed) console.error("mailnest: could not save the fault rules:", error);
        this.#writeFailed = true;
        throw error;
      },
    );
    this.#lastWrite = write.catch(() => {});
    return write;
  }
}

function newRuleId(): string {
  return `flt_${Array.from(randomBytes(12), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join("")}`;
}
