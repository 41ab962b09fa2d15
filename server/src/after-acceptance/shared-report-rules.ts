import { MAX_REPORT_LOG_ENTRIES } from "@mailnest/protocol";
import { newId } from "../outbox/new-id.js";
import type { RecordJournal, SharedOutboxes } from "../outbox/shared-outboxes.js";
import { SequencedLog } from "../rules/sequenced-log.js";
import type { ReportRequest } from "./plan-reports.js";
import type { ReportForward, ReportLogEntry, ReportRule, ReportRuleInput } from "./report-rule.js";
import { logFilter, newReportRule, type ReportRuleStore, selectReports, takeOne } from "./report-rules.js";

/** The journal's name in the shared store. */
const JOURNAL = "reports";

type LogFields = Omit<ReportLogEntry, "sequence">;

/**
 * One change of the shared rules or log. `take` and `log` carry a token of the instance that made
 * them: applying them is where the outcome is decided (is a use left? which sequence?), the same on
 * every instance since all apply one order, and the maker reads its outcome by the token.
 */
type ReportRecord =
  | { op: "add"; rule: ReportRule }
  | { op: "remove"; id: string }
  | { op: "clear" }
  | { op: "take"; id: string; token: string }
  | { op: "log"; entry: LogFields; token: string }
  | { op: "forward"; sequence: number; forward: ReportForward }
  | { op: "clear-log" }
  | { op: "state"; rules: ReportRule[]; log: ReportLogEntry[]; logSequence: number };

export interface SharedReportRulesOptions {
  random?: () => number;
  now?: () => number;
  maxLogEntries?: number;
}

/**
 * The report rules added through the API and the log of reports, shared by every instance of a
 * sandbox on PostgreSQL (docs/scaling.md, "Report rules"): changes are records of a shared journal
 * (`SharedOutboxes.openJournal`) that every instance applies in one order. Taking a rule's use is a
 * record too, decided when applied, so with any number of instances a rule for N messages makes N
 * reports. `--report` rules stay this instance's (every instance is given the same flags), in front
 * of the shared ones, as the file store keeps them unsaved.
 */
export class SharedReportRules implements ReportRuleStore {
  #rules: ReportRule[] = [];
  #cli: ReportRule[] = [];
  #log: SequencedLog<ReportLogEntry>;
  readonly #maxLog: number;
  readonly #random: () => number;
  readonly #now: () => number;
  /** Outcomes of this instance's own `take` and `log` records, by token, until their maker reads them. */
  readonly #outcomes = new Map<string, boolean | ReportLogEntry>();
  /** Tokens of this instance's records not yet applied (the others' outcomes are not kept). */
  readonly #mine = new Set<string>();
  readonly #writes = new Set<Promise<unknown>>();
  #journal!: RecordJournal<ReportRecord>;

  private constructor(options: SharedReportRulesOptions) {
    this.#maxLog = options.maxLogEntries ?? MAX_REPORT_LOG_ENTRIES;
    this.#log = new SequencedLog({ entries: [], sequence: 0 }, this.#maxLog);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  static async open(
    shared: SharedOutboxes,
    options: SharedReportRulesOptions = {},
  ): Promise<SharedReportRules> {
    const rules = new SharedReportRules(options);
    rules.#journal = await shared.openJournal<ReportRecord>(JOURNAL, {
      parse: parseRecord,
      apply: (record) => rules.#apply(record),
      snapshot: () => [
        { op: "state", rules: rules.#rules, log: [...rules.#log.entries], logSequence: rules.#log.sequence },
      ],
      reset: () => rules.#apply({ op: "state", rules: [], log: [], logSequence: 0 }),
    });
    return rules;
  }

  rules(): ReportRule[] {
    return [...this.#cli, ...this.#rules].map((rule) => ({ ...rule }));
  }

  async add(input: ReportRuleInput, origin: ReportRule["origin"] = "api"): Promise<ReportRule> {
    const rule = newReportRule(input, origin, this.#now());
    if (origin === "cli") this.#cli.push(rule);
    else await this.#write({ op: "add", rule });
    return { ...rule };
  }

  async remove(id: string): Promise<boolean> {
    if (this.#cli.some((rule) => rule.id === id)) {
      this.#cli = this.#cli.filter((rule) => rule.id !== id);
      return true;
    }
    if (!this.#rules.some((rule) => rule.id === id)) return false;
    await this.#write({ op: "remove", id });
    return true;
  }

  async clear(): Promise<number> {
    const count = this.#cli.length + this.#rules.length;
    this.#cli = [];
    await this.#write({ op: "clear" });
    return count;
  }

  select(message: { mailFrom: string; rcptTo: readonly string[] }): ReportRequest[] {
    return selectReports([...this.#cli, ...this.#rules], message, this.#random);
  }

  async take(ruleId: string): Promise<boolean> {
    const local = this.#cli.find((rule) => rule.id === ruleId);
    if (local) {
      if (!takeOne(local)) return false;
      if (local.remaining === 0) this.#cli = this.#cli.filter((rule) => rule !== local);
      return true;
    }
    const token = this.#token("take");
    try {
      await this.#write({ op: "take", id: ruleId, token });
    } catch (error) {
      // The database is away: no use can be taken, so the report is not made (never over-applied).
      console.error(`mailnest: could not take a use of report rule ${ruleId}:`, errorText(error));
      this.#outcome(token);
      return false;
    }
    return this.#outcome(token) === true;
  }

  log(filter: { inbox?: string } = {}): ReportLogEntry[] {
    return this.#log.list(logFilter(filter));
  }

  async append(fields: Omit<ReportLogEntry, "sequence" | "at">): Promise<ReportLogEntry> {
    const token = this.#token("log");
    let entry: boolean | ReportLogEntry | undefined;
    try {
      await this.#write({ op: "log", entry: { at: new Date(this.#now()).toISOString(), ...fields }, token });
    } finally {
      // Forgotten whether the write succeeded or not.
      entry = this.#outcome(token);
    }
    if (typeof entry !== "object") throw new Error("the report log entry was not applied");
    return structuredClone(entry);
  }

  updateForward(sequence: number, forward: ReportForward): void {
    void this.#write({ op: "forward", sequence, forward: { ...forward } }).catch((error: unknown) => {
      console.error("mailnest: could not record a report's forwarding:", errorText(error));
    });
  }

  async clearLog(): Promise<number> {
    const count = this.#log.entries.length;
    await this.#write({ op: "clear-log" });
    return count;
  }

  async flushed(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
  }

  #write(record: ReportRecord): Promise<void> {
    const write = this.#journal.append(record);
    this.#writes.add(write);
    void write.then(
      () => this.#writes.delete(write),
      () => this.#writes.delete(write),
    );
    return write;
  }

  #token(prefix: string): string {
    const token = newId(prefix);
    this.#mine.add(token);
    return token;
  }

  #outcome(token: string): boolean | ReportLogEntry | undefined {
    const outcome = this.#outcomes.get(token);
    this.#outcomes.delete(token);
    this.#mine.delete(token);
    return outcome;
  }

  /** Applies a record, any instance's: synchronous, and the same on every instance. */
  #apply(record: ReportRecord): void {
    switch (record.op) {
      case "add":
        if (!this.#rules.some((rule) => rule.id === record.rule.id)) this.#rules.push({ ...record.rule });
        return;
      case "remove":
        this.#rules = this.#rules.filter((rule) => rule.id !== record.id);
        return;
      case "clear":
        this.#rules = [];
        return;
      case "take": {
        const rule = this.#rules.find((candidate) => candidate.id === record.id);
        const taken = rule !== undefined && takeOne(rule);
        if (rule && rule.remaining === 0) this.#rules = this.#rules.filter((other) => other !== rule);
        this.#remember(record.token, taken);
        return;
      }
      case "log":
        this.#remember(record.token, this.#log.append({ ...record.entry }));
        return;
      case "forward": {
        const entry = this.#log.find(record.sequence);
        if (entry) entry.forward = { ...record.forward };
        return;
      }
      case "clear-log":
        this.#log.clear();
        return;
      case "state":
        this.#rules = record.rules.map((rule) => ({ ...rule }));
        this.#log = new SequencedLog(
          { entries: record.log.map((entry) => structuredClone(entry)), sequence: record.logSequence },
          this.#maxLog,
        );
        return;
    }
  }

  #remember(token: string, outcome: boolean | ReportLogEntry): void {
    if (this.#mine.has(token)) this.#outcomes.set(token, outcome);
  }
}

/** A stored record, checked just enough that `#apply` cannot trip over it. */
function parseRecord(value: unknown): ReportRecord | null {
  if (typeof value !== "object" || value === null) return null;
  const record = value as Partial<Record<string, unknown>> & { op?: unknown };
  switch (record.op) {
    case "add":
      return typeof record.rule === "object" && record.rule !== null ? (value as ReportRecord) : null;
    case "remove":
      return typeof record.id === "string" ? (value as ReportRecord) : null;
    case "take":
      return typeof record.id === "string" && typeof record.token === "string"
        ? (value as ReportRecord)
        : null;
    case "log":
      return typeof record.entry === "object" && record.entry !== null && typeof record.token === "string"
        ? (value as ReportRecord)
        : null;
    case "forward":
      return typeof record.sequence === "number" &&
        typeof record.forward === "object" &&
        record.forward !== null
        ? (value as ReportRecord)
        : null;
    case "clear":
    case "clear-log":
      return value as ReportRecord;
    case "state":
      return Array.isArray(record.rules) &&
        Array.isArray(record.log) &&
        typeof record.logSequence === "number"
        ? (value as ReportRecord)
        : null;
    default:
      return null;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
