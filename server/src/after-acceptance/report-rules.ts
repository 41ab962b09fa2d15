import { MAX_REPORT_LOG_ENTRIES, normalizeAddress } from "@mailnest/protocol";
import { RuleBook } from "../rules/rule-book.js";
import { newRuleId } from "../rules/rule-id.js";
import type { ReportRequest } from "./plan-reports.js";
import type { ReportForward, ReportLogEntry, ReportRule, ReportRuleInput } from "./report-rule.js";

/** `<dataDir>/reports.json`. */
export const REPORTS_FILE = "reports.json";

export interface ReportRulesOptions {
  /** null = memory only. */
  dataDir: string | null;
  random?: () => number;
  now?: () => number;
  maxLogEntries?: number;
}

/**
 * Where the report rules and their log live: `ReportRules` (memory and `<dataDir>/reports.json`,
 * one instance) or `SharedReportRules` (a journal shared by every instance on PostgreSQL).
 */
export interface ReportRuleStore {
  /** Active rules, oldest first (the order they are tried in). */
  rules(): ReportRule[];
  add(input: ReportRuleInput, origin?: ReportRule["origin"]): Promise<ReportRule>;
  remove(id: string): Promise<boolean>;
  /** Removes every rule, `--report` ones included (they come back on the next start). Returns how many. */
  clear(): Promise<number>;
  /**
   * The rules that ask for a report on this message: each matching rule whose probability comes
   * up, with the recipients it matches. Nothing is counted yet: `take` does that once the report
   * is known to be made, so a report that is skipped (a null sender) leaves the rule for the next
   * message.
   */
  select(message: { mailFrom: string; rcptTo: readonly string[] }): ReportRequest[];
  /**
   * Counts one reported message against a rule (a used-up rule is removed). False when the rule
   * is gone or used up meanwhile: that report is not made. Two messages can never both take a
   * rule's last report.
   */
  take(ruleId: string): Promise<boolean>;
  /** Reports made or skipped, oldest first; with `inbox`, those about mail to it or sent to it. */
  log(filter?: { inbox?: string }): ReportLogEntry[];
  append(fields: Omit<ReportLogEntry, "sequence" | "at">): Promise<ReportLogEntry>;
  /** Records what became of a report's onward delivery. */
  updateForward(sequence: number, forward: ReportForward): void;
  clearLog(): Promise<number>;
  /** Resolves once every change so far is saved. */
  flushed(): Promise<void>;
}

/**
 * The report rules and the log of reports made (or skipped), in memory and saved to
 * `<dataDir>/reports.json` after every change. `--report` rules (`origin: "cli"`) are not saved.
 * A use is taken synchronously, so two messages can never both take a rule's last report.
 */
export class ReportRules implements ReportRuleStore {
  readonly #book: RuleBook<ReportRule, ReportLogEntry>;
  readonly #random: () => number;
  readonly #now: () => number;

  private constructor(book: RuleBook<ReportRule, ReportLogEntry>, options: ReportRulesOptions) {
    this.#book = book;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  static async open(options: ReportRulesOptions): Promise<ReportRules> {
    const book = await RuleBook.open<ReportRule, ReportLogEntry>({
      dataDir: options.dataDir,
      file: REPORTS_FILE,
      label: "the report rules",
      maxLogEntries: options.maxLogEntries ?? MAX_REPORT_LOG_ENTRIES,
    });
    return new ReportRules(book, options);
  }

  rules(): ReportRule[] {
    return this.#book.rules.map((rule) => ({ ...rule }));
  }

  add(input: ReportRuleInput, origin: ReportRule["origin"] = "api"): Promise<ReportRule> {
    return this.#book.add(newReportRule(input, origin, this.#now()));
  }

  remove(id: string): Promise<boolean> {
    return this.#book.remove(id);
  }

  async clear(): Promise<number> {
    return (await this.#book.clear()).length;
  }

  select(message: { mailFrom: string; rcptTo: readonly string[] }): ReportRequest[] {
    return selectReports(this.#book.rules, message, this.#random);
  }

  take(ruleId: string): Promise<boolean> {
    const rule = this.#book.rules.find((candidate) => candidate.id === ruleId);
    if (!rule || !takeOne(rule)) return Promise.resolve(false);
    if (rule.remaining === 0) this.#book.drop(rule);
    else this.#book.saveSoon();
    return Promise.resolve(true);
  }

  log(filter: { inbox?: string } = {}): ReportLogEntry[] {
    return this.#book.log.list(logFilter(filter));
  }

  append(fields: Omit<ReportLogEntry, "sequence" | "at">): Promise<ReportLogEntry> {
    const entry = this.#book.log.append({ at: new Date(this.#now()).toISOString(), ...fields });
    this.#book.saveSoon();
    return Promise.resolve(structuredClone(entry));
  }

  updateForward(sequence: number, forward: ReportForward): void {
    const entry = this.#book.log.find(sequence);
    if (!entry) return;
    entry.forward = { ...forward };
    this.#book.saveSoon();
  }

  clearLog(): Promise<number> {
    return this.#book.clearLog();
  }

  flushed(): Promise<void> {
    return this.#book.flushed();
  }
}

/** A new rule from what a client asked for: a fresh id, its uses all left. */
export function newReportRule(input: ReportRuleInput, origin: ReportRule["origin"], now: number): ReportRule {
  return {
    id: newRuleId("rpt"),
    ...input,
    remaining: input.times,
    triggered: 0,
    origin,
    createdAt: new Date(now).toISOString(),
  };
}

/** What `ReportRuleStore.select` answers, from `rules` in the order they are tried. */
export function selectReports(
  rules: readonly ReportRule[],
  message: { mailFrom: string; rcptTo: readonly string[] },
  random: () => number,
): ReportRequest[] {
  const sender = message.mailFrom === "" ? null : normalizeAddress(message.mailFrom);
  const requests: ReportRequest[] = [];
  for (const rule of rules) {
    if (rule.from !== null && rule.from !== sender) continue;
    const recipients = unique(message.rcptTo).filter(
      (recipient) => rule.inbox === null || normalizeAddress(recipient) === rule.inbox,
    );
    if (recipients.length === 0) continue;
    if (rule.probability <= 0 || (rule.probability < 1 && !(random() < rule.probability))) continue;
    requests.push({ ruleId: rule.id, simulator: null, kind: rule.kind, recipients, settings: { ...rule } });
  }
  return requests;
}

/** Takes one use of `rule` in place; false when it has none left. */
export function takeOne(rule: ReportRule): boolean {
  if (rule.remaining !== null && rule.remaining <= 0) return false;
  rule.triggered += 1;
  if (rule.remaining !== null) rule.remaining -= 1;
  return true;
}

/** The log entries `ReportRuleStore.log` keeps for `filter`. */
export function logFilter(filter: { inbox?: string }): (entry: ReportLogEntry) => boolean {
  const inbox = filter.inbox === undefined ? undefined : normalizeAddress(filter.inbox);
  return (entry) =>
    inbox === undefined ||
    entry.original.recipients.includes(inbox) ||
    (entry.to !== null && normalizeAddress(entry.to) === inbox);
}

/** The recipients once each (by inbox), in order, as sent. */
function unique(recipients: readonly string[]): string[] {
  const seen = new Set<string>();
  return recipients.filter((recipient) => {
    const key = normalizeAddress(recipient);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
