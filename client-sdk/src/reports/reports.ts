import {
  apiPaths,
  type DeletedCount,
  type PendingReportList,
  type ReportLog,
  type ReportRuleList,
  type SimulatorInfo,
} from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";
import { describeValue } from "../util/describe.js";
import { inboxReportRequest, toReportRuleRequest } from "./report-options.js";
import {
  type PendingReport,
  type ReportLogEntry,
  type ReportRule,
  type ReportRuleOptions,
  toPendingReport,
  toReportLogEntry,
  toReportRule,
  type WireReportRule,
} from "./report-types.js";

/**
 * What happens after the 250 (`mail.reports`, docs/after-acceptance.md): rules that make the
 * server answer accepted mail with a bounce (DSN), a delay warning, a complaint (ARF) or an
 * auto-reply, stored in the sender's inbox like any message; the log of reports made or skipped;
 * reports still waiting for their delay; the built-in simulator addresses.
 * @example
 * await mail.reports.add({ kind: "bounce", inbox: "gone@customer.test", status: "5.1.1" });
 * // …the app sends to gone@customer.test…
 * const dsn = await senderInbox.waitForMessage({ subject: /Undelivered/ });
 */
export class Reports {
  readonly #http: HttpClient;

  /** @internal Made by `Mailnest`. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Adds a rule. Without `times` and `probability` it reports one message. */
  async add(options: ReportRuleOptions): Promise<ReportRule> {
    const body = toReportRuleRequest(options, "report", true);
    return toReportRule(await this.#http.json<WireReportRule>("POST", apiPaths.reports(), { body }));
  }

  /** Active rules, oldest first, with their remaining counts. */
  async list(): Promise<ReportRule[]> {
    return (await this.#http.json<ReportRuleList>("GET", apiPaths.reports())).rules.map(toReportRule);
  }

  /** Removes one rule; false when it was already used up or removed. */
  async remove(id: string): Promise<boolean> {
    if (typeof id !== "string" || id === "")
      throw new TypeError(`Expected a report rule id; got ${describeValue(id)}`);
    const { status } = await this.#http.jsonAccepting("DELETE", apiPaths.report(id), [404]);
    return status === 204;
  }

  /** Removes every rule and drops the reports still waiting. Returns how many rules there were. */
  async clear(): Promise<number> {
    return (await this.#http.json<DeletedCount>("DELETE", apiPaths.reports())).deleted;
  }

  /** Reports made or skipped (and why), oldest first; with `inbox`, those about mail to it or sent to it. */
  async log(filter: { inbox?: string } = {}): Promise<ReportLogEntry[]> {
    const { entries } = await this.#http.json<ReportLog>("GET", apiPaths.reportLog(), {
      query: { inbox: filter.inbox },
    });
    return entries.map(toReportLogEntry);
  }

  /** Empties the report log. Returns how many entries it held. */
  async clearLog(): Promise<number> {
    return (await this.#http.json<DeletedCount>("DELETE", apiPaths.reportLog())).deleted;
  }

  /** Reports waiting for their time, soonest first. */
  async pending(): Promise<PendingReport[]> {
    return (await this.#http.json<PendingReportList>("GET", apiPaths.pendingReports())).reports.map(
      toPendingReport,
    );
  }

  /** The built-in addresses (`bounce@…`, `complaint@…`, …) as this server spells them. */
  simulator(): Promise<SimulatorInfo> {
    return this.#http.json<SimulatorInfo>("GET", apiPaths.reportSimulator());
  }
}

/** `inbox.bounceNext()` and friends: a rule for one inbox. */
export async function reportInbox(
  http: HttpClient,
  address: string,
  kind: ReportRuleOptions["kind"],
  options: object,
  label: string,
): Promise<ReportRule> {
  const body = inboxReportRequest(kind, options, label);
  return toReportRule(await http.json<WireReportRule>("POST", apiPaths.inboxReports(address), { body }));
}

/** `inbox.reports()`: reports about mail to one inbox, or sent to it. */
export async function inboxReports(http: HttpClient, address: string): Promise<ReportLogEntry[]> {
  const { entries } = await http.json<ReportLog>("GET", apiPaths.inboxReports(address));
  return entries.map(toReportLogEntry);
}
