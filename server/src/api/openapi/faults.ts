import { FAULT_RULE_ID_PATTERN, MAX_FAULT_LOG_ENTRIES } from "@mailnest/protocol";
import { bodyErrors, commonErrors, json, ref, response, ruleBody, string } from "./schema.js";
import type { Operation, PathItem } from "./types.js";

/** The "Faults" part of `GET /api/openapi.json` (docs/api.md, "Faults"), merged in by `document.ts`. */

const addressParameter = { $ref: "#/components/parameters/address" };

function operation(spec: Omit<Operation, "tags">): Operation {
  return { ...spec, tags: ["faults"], responses: { ...spec.responses, ...commonErrors } };
}

const ruleBodyOf = (withInbox: boolean) => ruleBody("FaultRuleRequest", withInbox);

const logResponse = json(ref("FaultLog"), "Oldest first");

export const faultTag = {
  name: "faults",
  description: "Programmable SMTP answers: rules and the log of injected faults",
};

export const faultPaths: Record<string, PathItem> = {
  "/api/faults": {
    post: operation({
      operationId: "createFaultRule",
      summary: "Add a fault rule",
      requestBody: ruleBodyOf(true),
      responses: { "201": json(ref("FaultRule"), "The rule"), "400": response("BadRequest"), ...bodyErrors },
    }),
    get: operation({
      operationId: "listFaultRules",
      summary: "Active rules in the order they are tried, with their remaining counts",
      responses: { "200": json(ref("FaultRuleList"), "The rules") },
    }),
    delete: operation({
      operationId: "clearFaultRules",
      summary: "Remove every rule (--chaos ones come back on the next start)",
      responses: { "200": json(ref("DeletedCount"), "How many were removed") },
    }),
  },
  "/api/faults/{id}": {
    delete: operation({
      operationId: "deleteFaultRule",
      summary: "Remove one rule",
      parameters: [
        {
          name: "id",
          in: "path",
          required: true,
          description: "Rule id",
          schema: { type: "string", pattern: FAULT_RULE_ID_PATTERN.source },
        },
      ],
      responses: { "204": { description: "Done; no body" }, "404": response("NotFound") },
    }),
  },
  "/api/faults/log": {
    get: operation({
      operationId: "listInjectedFaults",
      summary: `Injected faults, oldest first (the newest ${MAX_FAULT_LOG_ENTRIES} are kept)`,
      parameters: [
        { name: "inbox", in: "query", description: "Only faults that concerned this inbox", schema: string },
      ],
      responses: { "200": logResponse, "400": response("BadRequest") },
    }),
    delete: operation({
      operationId: "clearInjectedFaults",
      summary: "Empty the fault log",
      responses: { "200": json(ref("DeletedCount"), "How many entries were removed") },
    }),
  },
  "/api/inboxes/{address}/faults": {
    post: operation({
      operationId: "createInboxFaultRule",
      summary: "Add a fault rule for this inbox (`rcpt`, `data` or `disconnect`)",
      parameters: [addressParameter],
      requestBody: ruleBodyOf(false),
      responses: { "201": json(ref("FaultRule"), "The rule"), "400": response("BadRequest"), ...bodyErrors },
    }),
    get: operation({
      operationId: "listInboxInjectedFaults",
      summary: "Injected faults that concerned this inbox, oldest first",
      parameters: [addressParameter],
      responses: { "200": logResponse, "400": response("BadRequest") },
    }),
  },
};
