import type { FaultLogEntry, FaultRule, ReportLogEntry, ReportRule, SimulatorInfo } from "@mailnest/protocol";
import { useCallback, useEffect, useState } from "preact/hooks";
import {
  getSimulator,
  listFaultLog,
  listFaultRules,
  listReportLog,
  listReportRules,
  removeFaultRule,
  removeReportRule,
} from "../api/rules-api.js";
import { formatFullDate } from "../state/format.js";
import { useModal } from "./use-modal.js";

/** Log entries shown per log, newest first (the server keeps up to 1,000 of each). */
const SHOWN = 25;

interface Loaded {
  faultRules: FaultRule[];
  faultLog: FaultLogEntry[];
  reportRules: ReportRule[];
  reportLog: ReportLogEntry[];
  simulator: SimulatorInfo;
}

/**
 * The rules that shape what the SMTP listener answers (faults, greylisting, rate limits, …) and
 * what comes back after the 250 (bounces, complaints, auto-replies), with both logs
 * (docs/smtp.md, docs/after-acceptance.md). Rules are added from tests (SDK, API, CLI); here they
 * can be seen and removed.
 */
export function RulesDialog(props: { open: boolean; onClose(): void; onError(error: unknown): void }) {
  const dialog = useModal(props.open);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const { onError } = props;

  const load = useCallback(async () => {
    try {
      const [faultRules, faultLog, reportRules, reportLog, simulator] = await Promise.all([
        listFaultRules(),
        listFaultLog(),
        listReportRules(),
        listReportLog(),
        getSimulator(),
      ]);
      setLoaded({ faultRules, faultLog, reportRules, reportLog, simulator });
    } catch (error) {
      onError(error);
    }
  }, [onError]);

  useEffect(() => {
    if (props.open) void load();
  }, [props.open, load]);

  return (
    <dialog
      ref={dialog}
      class="dialog rules-dialog"
      aria-labelledby="rules-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 id="rules-title">Faults and reports</h2>
      {loaded === null && <p class="muted">Loading…</p>}
      {loaded && (
        <>
          <section aria-labelledby="fault-rules-title">
            <h3 id="fault-rules-title">SMTP answers</h3>
            <RuleTable
              caption="Fault rules, in the order they are tried"
              empty="No fault rule: every message is accepted."
              headings={["Behaviour", "Answer", "For", "Left", "Fired"]}
              rows={loaded.faultRules.map((rule) => ({
                id: rule.id,
                cells: [
                  `${rule.behavior} at ${rule.stage}${rule.origin === "cli" ? " (CLI)" : ""}`,
                  faultAnswer(rule),
                  target(rule.inbox ?? rule.pattern, rule.from),
                  rule.remaining === null ? "∞" : String(rule.remaining),
                  String(rule.triggered),
                ],
              }))}
              onRemove={(id) => removeFaultRule(id).then(load, onError)}
            />
            <LogList
              title="Fault log"
              entries={newest(loaded.faultLog).map((entry) => ({
                key: entry.sequence,
                at: entry.at,
                text: `${entry.behavior} at ${entry.stage}: ${entry.code ?? "—"}${entry.status ? ` ${entry.status}` : ""} ${entry.message}`,
                about: entry.inboxes.join(", ") || entry.envelope.remoteAddress,
              }))}
            />
          </section>
          <section aria-labelledby="report-rules-title">
            <h3 id="report-rules-title">After the 250</h3>
            <p class="muted">
              {loaded.simulator.enabled
                ? `Built-in addresses on any domain: ${loaded.simulator.mailboxes.map((mailbox) => `${mailbox.localPart}@`).join(", ")}.`
                : "The built-in addresses are off (--no-simulator)."}
            </p>
            <RuleTable
              caption="Report rules, oldest first"
              empty="No report rule."
              headings={["Report", "Details", "For", "Left", "Made"]}
              rows={loaded.reportRules.map((rule) => ({
                id: rule.id,
                cells: [
                  `${rule.kind}${rule.origin === "cli" ? " (CLI)" : ""}`,
                  reportDetails(rule),
                  target(rule.inbox, rule.from),
                  rule.remaining === null ? "∞" : String(rule.remaining),
                  String(rule.triggered),
                ],
              }))}
              onRemove={(id) => removeReportRule(id).then(load, onError)}
            />
            <LogList
              title="Report log"
              entries={newest(loaded.reportLog).map((entry) => ({
                key: entry.sequence,
                at: entry.at,
                text: `${entry.kind}${entry.action ? ` (${entry.action}${entry.status ? ` ${entry.status}` : ""})` : ""} ${entry.outcome === "sent" ? `to ${entry.to}` : `skipped: ${entry.note}`}${entry.forward ? ` · relay ${entry.forward.state}` : ""}`,
                about: entry.original.recipients.join(", "),
              }))}
            />
          </section>
        </>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={() => void load()}>
          Refresh
        </button>
        <button type="button" class="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}

function RuleTable(props: {
  caption: string;
  empty: string;
  headings: string[];
  rows: Array<{ id: string; cells: string[] }>;
  onRemove(id: string): void;
}) {
  if (props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <div class="table-scroll">
      <table class="data-table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.headings.map((heading) => (
              <th key={heading} scope="col">
                {heading}
              </th>
            ))}
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.id}>
              {row.cells.map((cell, index) => (
                <td key={props.headings[index]}>{cell}</td>
              ))}
              <td>
                <button type="button" class="button ghost" onClick={() => props.onRemove(row.id)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LogList(props: {
  title: string;
  entries: Array<{ key: number; at: string; text: string; about: string }>;
}) {
  return (
    <details class="rule-log">
      <summary>
        {props.title} ({props.entries.length === SHOWN ? `newest ${SHOWN}` : props.entries.length})
      </summary>
      {props.entries.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <ol class="attempts">
          {props.entries.map((entry) => (
            <li key={entry.key}>
              <time dateTime={entry.at}>{formatFullDate(entry.at)}</time> {entry.text}
              {entry.about && <span class="muted"> · {entry.about}</span>}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

function newest<T>(entries: T[]): T[] {
  return entries.slice(-SHOWN).reverse();
}

function target(inbox: string | null, from: string | null): string {
  const parts = [inbox ? `to ${inbox}` : "every recipient", ...(from ? [`from ${from}`] : [])];
  return parts.join(", ");
}

function faultAnswer(rule: FaultRule): string {
  const code = rule.code === null ? "" : `${rule.code}${rule.status ? ` ${rule.status}` : ""}`;
  switch (rule.behavior) {
    case "greylist":
      return `${code} until a retry ${rule.delayMs} ms later`;
    case "rate-limit":
      return `${code} beyond ${rule.limit} per ${rule.windowMs} ms per ${rule.per}`;
    case "connection-limit":
      return `${code} beyond ${rule.limit} connections`;
    case "slow":
    case "tarpit":
      return `${rule.delayMs} ms late${rule.behavior === "tarpit" ? ", more each time" : ""}`;
    case "blackhole":
      return "250, then dropped";
    default:
      return code === "" ? "connection dropped" : code;
  }
}

function reportDetails(rule: ReportRule): string {
  const parts: string[] = [];
  if (rule.status) parts.push(rule.status);
  if (rule.failAfterMs !== null) parts.push(`then ${rule.failStatus} after ${rule.failAfterMs} ms`);
  if (rule.feedbackType) parts.push(rule.feedbackType);
  if (rule.reportTo) parts.push(`to ${rule.reportTo}`);
  if (rule.delayMs > 0) parts.push(`${rule.delayMs} ms after the 250`);
  if (rule.probability < 1) parts.push(`${Math.round(rule.probability * 100)} %`);
  return parts.join(", ") || "—";
}
