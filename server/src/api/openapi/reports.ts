import { MAX_REPORT_LOG_ENTRIES, REPORT_RULE_ID_PATTERN } from "@mailnest/protocol";
import { bodyErrors, commonErrors, json, ref, response, ruleBody, string } from "./schema.js";
import type { Operation, PathItem } from "./types.js";

/** The "Reports" part of `GET /api/openapi.json` (docs/after-acceptance.md), merged in by `document.ts`. */

const addressParameter = { $ref: "#/components/parameters/address" };

function operation(spec: Omit<Operation, "tags">): Operation {
  return { ...spec, tags: ["reports"], responses: { ...spec.responses, ...commonErrors } };
}

const ruleBodyOf = (withInbox: boolean) => ruleBody("ReportRuleRequest", withInbox);

const logResponse = json(ref("ReportLog"), "Oldest first");
const deleted = (what: string) => json(ref("DeletedCount"), what);

export const reportTag = {
  name: "reports",
  description:
    "After the 250: bounces (DSN), complaints (ARF) and auto-replies, by rule or simulator address",
};

export const reportPaths: Record<string, PathItem> = {
  "/api/reports": {
    post: operation({
      operationId: "createReportRule",
      summary: "Add a report rule",
      requestBody: ruleBodyOf(true),
      responses: { "201": json(ref("ReportRule"), "The rule"), "400": response("BadRequest"), ...bodyErrors },
    }),
    get: operation({
      operationId: "listReportRules",
      summary: "Active report rules, oldest first, with their remaining counts",
      responses: { "200": json(ref("ReportRuleList"), "The rules") },
    }),
    delete: operation({
      operationId: "clearReportRules",
      summary: "Remove every rule (--report ones come back on the next start) and drop waiting reports",
      responses: { "200": deleted("How many rules were removed") },
    }),
  },
  "/api/reports/{id}": {
    delete: operation({
      operationId: "deleteReportRule",
      summary: "Remove one rule",
      parameters: [
        {
          name: "id",
          in: "path",
          required: true,
          description: "Rule id",
          schema: { type: "string", pattern: REPORT_RULE_ID_PATTERN.source },
        },
      ],
      responses: { "204": { description: "Done; no body" }, "404": response("NotFound") },
    }),
  },
  "/api/reports/log": {
    get: operation({
      operationId: "listReports",
      summary: `Reports made or skipped, oldest first (the newest ${MAX_REPORT_LOG_ENTRIES} are kept)`,
      parameters: [
        {
          name: "inbox",
          in: "query",
          description: "Only reports about mail to this inbox, or sent to it",
          schema: string,
        },
      ],
      responses: { "200": logResponse, "400": response("BadRequest") },
    }),
    delete: operation({
      operationId: "clearReports",
      summary: "Empty the report log",
      responses: { "200": deleted("How many entries were removed") },
    }),
  },
  "/api/reports/pending": {
    get: operation({
      operationId: "listPendingReports",
      summary: "Reports waiting for their time (a delay), soonest first",
      responses: { "200": json(ref("PendingReportList"), "The waiting reports") },
    }),
    delete: operation({
      operationId: "cancelPendingReports",
      summary: "Drop every waiting report",
      responses: { "200": deleted("How many were dropped") },
    }),
  },
  "/api/reports/simulator": {
    get: operation({
      operationId: "getReportSimulator",
      summary: "The built-in addresses (bounce@, complaint@, ooto@, suppressed@, delayed@ on any domain)",
      responses: { "200": json(ref("SimulatorInfo"), "The simulator addresses") },
    }),
  },
  "/api/inboxes/{address}/reports": {
    post: operation({
      operationId: "createInboxReportRule",
      summary: "Add a report rule for mail to this inbox",
      parameters: [addressParameter],
      requestBody: ruleBodyOf(false),
      responses: { "201": json(ref("ReportRule"), "The rule"), "400": response("BadRequest"), ...bodyErrors },
    }),
    get: operation({
      operationId: "listInboxReports",
      summary: "Reports about mail to this inbox or sent to it, oldest first",
      parameters: [addressParameter],
      responses: { "200": logResponse, "400": response("BadRequest") },
    }),
  },
};
