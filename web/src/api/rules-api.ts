import {
  apiPaths,
  type FaultLog,
  type FaultLogEntry,
  type FaultRule,
  type FaultRuleList,
  type ReportLog,
  type ReportLogEntry,
  type ReportRule,
  type ReportRuleList,
  type SimulatorInfo,
} from "@mailnest/protocol";
import { getJson, sendJson } from "./http.js";

/** Fault rules and report rules with their logs (docs/smtp.md, docs/after-acceptance.md). */

export async function listFaultRules(): Promise<FaultRule[]> {
  return (await getJson<FaultRuleList>(apiPaths.faults())).rules;
}

export async function listFaultLog(): Promise<FaultLogEntry[]> {
  return (await getJson<FaultLog>(apiPaths.faultLog())).entries;
}

export async function removeFaultRule(id: string): Promise<void> {
  await sendJson("DELETE", apiPaths.fault(id));
}

export async function listReportRules(): Promise<ReportRule[]> {
  return (await getJson<ReportRuleList>(apiPaths.reports())).rules;
}

export async function listReportLog(): Promise<ReportLogEntry[]> {
  return (await getJson<ReportLog>(apiPaths.reportLog())).entries;
}

export async function removeReportRule(id: string): Promise<void> {
  await sendJson("DELETE", apiPaths.report(id));
}

export function getSimulator(): Promise<SimulatorInfo> {
  return getJson<SimulatorInfo>(apiPaths.reportSimulator());
}
