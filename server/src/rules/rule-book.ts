import { JsonDocument } from "./json-document.js";
import { SequencedLog } from "./sequenced-log.js";

/** What every kind of rule has: an id, and whether it came from the API (saved) or the CLI (not). */
export interface SavedRule {
  id: string;
  origin: "api" | "cli";
}

/** `<dataDir>/<file>`: the rules and their log, small and read by people, so pretty-printed. */
export interface RuleDocument<R, E> {
  version: 1;
  rules: R[];
  log: E[];
  /** The last log sequence handed out, so sequences stay unique after the log is cleared. */
  logSequence: number;
}

export function emptyRuleDocument<R, E>(): RuleDocument<R, E> {
  return { version: 1, rules: [], log: [], logSequence: 0 };
}

export function isRuleDocument<R, E>(value: unknown): value is RuleDocument<R, E> {
  if (typeof value !== "object" || value === null) return false;
  const document = value as Partial<RuleDocument<R, E>>;
  return (
    document.version === 1 &&
    Array.isArray(document.rules) &&
    Array.isArray(document.log) &&
    typeof document.logSequence === "number"
  );
}

/**
 * The bookkeeping that fault rules (`FaultStore`) and report rules (`ReportRules`) share: the
 * rules in memory, their log, and the document they are saved in after every change. Rules from
 * the command line are kept in memory only: their flag adds them again on each start. What a rule
 * means and when it fires is the owner's business.
 */
export class RuleBook<R extends SavedRule, E extends { sequence: number }> {
  readonly log: SequencedLog<E>;
  readonly #document: JsonDocument<RuleDocument<R, E>>;
  #rules: R[];

  private constructor(document: JsonDocument<RuleDocument<R, E>>, saved: RuleDocument<R, E>, maxLog: number) {
    this.#document = document;
    this.#rules = saved.rules.filter((rule) => rule.origin === "api");
    this.log = new SequencedLog({ entries: saved.log, sequence: saved.logSequence }, maxLog);
  }

  static async open<R extends SavedRule, E extends { sequence: number }>(options: {
    /** null = memory only. */
    dataDir: string | null;
    file: string;
    /** What the document holds, for messages: "the fault rules". */
    label: string;
    maxLogEntries: number;
    /** Brings a document saved by an older Mailnest up to date. */
    upgrade?: (saved: RuleDocument<R, E>) => RuleDocument<R, E>;
  }): Promise<RuleBook<R, E>> {
    const { document, saved } = await JsonDocument.open<RuleDocument<R, E>>({
      dataDir: options.dataDir,
      file: options.file,
      label: options.label,
      empty: emptyRuleDocument,
      isValid: isRuleDocument,
    });
    return new RuleBook(document, options.upgrade ? options.upgrade(saved) : saved, options.maxLogEntries);
  }

  /** The live rules, in the order they were added (the owner may update their counters in place). */
  get rules(): readonly R[] {
    return this.#rules;
  }

  /** Adds a rule; resolves once it is saved. Returns a copy. */
  async add(rule: R): Promise<R> {
    this.#rules.push(rule);
    await this.save();
    return { ...rule };
  }

  /** Removes a rule; resolves once that is saved. False when there was no such rule. */
  async remove(id: string): Promise<boolean> {
    if (!this.#rules.some((rule) => rule.id === id)) return false;
    this.#rules = this.#rules.filter((rule) => rule.id !== id);
    await this.save();
    return true;
  }

  /** A rule used up while deciding: gone at once, saved in the background. */
  drop(rule: R): void {
    this.#rules = this.#rules.filter((other) => other !== rule);
    this.saveSoon();
  }

  /** Removes every rule, command-line ones included (until the next start). Returns their ids. */
  async clear(): Promise<string[]> {
    const ids = this.#rules.map((rule) => rule.id);
    this.#rules = [];
    await this.save();
    return ids;
  }

  async clearLog(): Promise<number> {
    const removed = this.log.clear();
    await this.save();
    return removed;
  }

  /** Saves now; resolves once it is on disk (rejects when the disk refused; that is also logged). */
  save(): Promise<void> {
    return this.#document.save({
      version: 1,
      rules: this.#rules.filter((rule) => rule.origin === "api"),
      log: [...this.log.entries],
      logSequence: this.log.sequence,
    });
  }

  /** Saves in the background: for changes made on the SMTP path, which must not wait for the disk. */
  saveSoon(): void {
    void this.save().catch(() => {});
  }

  /** Resolves once every save so far is done (a failed one was logged). */
  flushed(): Promise<void> {
    return this.#document.flushed();
  }
}
