import { MAX_REPORT_LOG_ENTRIES, normalizeAddress } from "@mailnest/protocol";
import { JsonDocument } from "../rules/json-document.js";
import { newRuleId } from "../rules/rule-id.js";
import { SequencedLog } from "../rules/sequenced-log.js";
import type { ReportRequest } from "./plan-reports.js";
import type { ReportForward, ReportLogEntry, ReportRule, ReportRuleInput } from "./report-rule.js";

/** `<dataDir>/reports.json`: small and read by people, so pretty-printed. */
interface ReportDocument {
  version: 1;
  rules: ReportRule[];
  log: ReportLogEntry[];
  logSequence: number;
}

export const REPORTS_FILE = "reports.json";

function emptyDocument(): ReportDocument {
  return { version: 1, rules: [], log: [], logSequence: 0 };
}

function isReportDocument(value: unknown): value is ReportDocument {
  if (typeof value !== "object" || value === null) return false;
  const document = value as Partial<ReportDocument>;
  return (
    document.version === 1 &&
    Array.isArray(document.rules) &&
    Array.isArray(document.log) &&
    typeof document.logSequence === "number"
  );
}

export interface ReportRulesOptions {
  /** null = memory only. */
  dataDir: string | null;
  random?: () => number;
  now?: () => number;
  maxLogEntries?: number;
}

/**
 * The report rules and the log of reports made (or skipped), in memory and saved to
 * `<dataDir>/reports.json` after every change. `--report` rules (`origin: "cli"`) are not saved.
 * Deciding is synchronous, so two messages can never both take a rule's last report.
 */
export class ReportRules {
  readonly #document: JsonDocument<ReportDocument>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #log: SequencedLog<ReportLogEntry>;
  #rules: ReportRule[];

  private constructor(
    document: JsonDocument<ReportDocument>,
    saved: ReportDocument,
    options: ReportRulesOptions,
  ) {
    this.#document = document;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#rules = saved.rules.filter((rule) => rule.origin === "api");
    this.#log = new SequencedLog(
      { entries: saved.log, sequence: saved.logSequence },
      options.maxLogEntries ?? MAX_REPORT_LOG_ENTRIES,
    );
  }

  static async open(options: ReportRulesOptions): Promise<ReportRules> {
    const { document, saved } = await JsonDocument.open({
      dataDir: options.dataDir,
      file: REPORTS_FILE,
      label: "the report rules",
      empty: emptyDocument,
      isValid: isReportDocument,
    });
    return new ReportRules(document, saved, options);
  }

  /** Active rules, oldest first (the order they are tried in). */
  rules(): ReportRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  async add(input: ReportRuleInput, origin: ReportRule["origin"] = "api"): Promise<ReportRule> {
    const rule: ReportRule = {
      id: newRuleId("rpt"),
      ...input,
      remaining: input.times,
      triggered: 0,
      origin,
      createdAt: new Date(this.#now()).toISOString(),
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

  /** Removes every rule, `--report` ones included (they come back on the next start). Returns how many. */
  async clear(): Promise<number> {
    const removed = this.#rules.length;
    this.#rules = [];
    await this.#save();
    return removed;
  }

  /**
   * The rules that ask for a report on this message: each matching rule whose probability comes
   * up, with the recipients it matches. Nothing is counted yet: `consume` does that once the
   * report is known to be made, so a report that is skipped (a null sender) leaves the rule for
   * the next message.
   */
  select(message: { mailFrom: string; rcptTo: readonly string[] }): ReportRequest[] {
    const sender = message.mailFrom === "" ? null : normalizeAddress(message.mailFrom);
    const requests: ReportRequest[] = [];
    for (const rule of this.#rules) {
      if (rule.from !== null && rule.from !== sender) continue;
      const recipients = unique(message.rcptTo).filter(
        (recipient) => rule.inbox === null || normalizeAddress(recipient) === rule.inbox,
      );
      if (recipients.length === 0) continue;
      if (rule.probability <= 0 || (rule.probability < 1 && !(this.#random() < rule.probability))) continue;
      requests.push({ ruleId: rule.id, simulator: null, kind: rule.kind, recipients, settings: { ...rule } });
    }
    return requests;
  }

  /** Counts one reported message against a rule; a used-up rule is removed. */
  consume(ruleId: string): void {
    const rule = this.#rules.find((candidate) => candidate.id === ruleId);
    if (!rule) return;
    rule.triggered += 1;
    if (rule.remaining !== null) rule.remaining -= 1;
    if (rule.remaining === 0) this.#rules = this.#rules.filter((other) => other !== rule);
    void this.#save().catch(() => {});
  }

  /** Reports made or skipped, oldest first; with `inbox`, those about mail to it or sent to it. */
  log(filter: { inbox?: string } = {}): ReportLogEntry[] {
    const inbox = filter.inbox === undefined ? undefined : normalizeAddress(filter.inbox);
    return this.#log.list(
      (entry) =>
        inbox === undefined ||
        entry.original.recipients.includes(inbox) ||
        (entry.to !== null && normalizeAddress(entry.to) === inbox),
    );
  }

  append(fields: Omit<ReportLogEntry, "sequence" | "at">): ReportLogEntry {
    const entry = this.#log.append({ at: new Date(this.#now()).toISOString(), ...fields });
    void this.#save().catch(() => {});
    return structuredClone(entry);
  }

  /** Records what became of a report's onward delivery. */
  updateForward(sequence: number, forward: ReportForward): void {
    const entry = this.#log.find(sequence);
    if (!entry) return;
    entry.forward = { ...forward };
    void this.#save().catch(() => {});
  }

  async clearLog(): Promise<number> {
    const removed = this.#log.clear();
    await this.#save();
    return removed;
  }

  flushed(): Promise<void> {
    return this.#document.flushed();
  }

  #save(): Promise<void> {
    return this.#document.save({
      version: 1,
      rules: this.#rules.filter((rule) => rule.origin === "api"),
      log: [...this.#log.entries],
      logSequence: this.#log.sequence,
    });
  }
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
