import { FAULT_RULE_ID_PATTERN, FAULT_STAGES } from "../faults/fault-rule.js";
import { MAX_FAULT_LOG_ENTRIES } from "../faults/fault-store.js";
import {
  bodyErrors,
  commonErrors,
  dateTime,
  json,
  nullable,
  object,
  ref,
  response,
  string,
} from "./openapi-schema.js";
import type { JsonSchema, Operation, PathItem } from "./openapi-types.js";

/** The "Faults" part of `GET /api/openapi.json` (docs/api.md, "Faults"), merged in by `openapi.ts`. */

const count: JsonSchema = { type: "integer", minimum: 0 };
const code: JsonSchema = { type: "integer", minimum: 400, maximum: 599 };
const address: JsonSchema = { type: "string", description: "An email address, normalized like inbox keys" };

const addressParameter = { $ref: "#/components/parameters/address" };

function operation(spec: Omit<Operation, "tags">): Operation {
  return { ...spec, tags: ["faults"], responses: { ...spec.responses, ...commonErrors } };
}

const ruleFields: Record<string, JsonSchema> = {
  stage: ref("FaultStage"),
  code: { ...code, description: "Reply code; leave out for `disconnect`, which answers nothing" },
  message: {
    type: "string",
    maxLength: 200,
    description: "Reply text (printable ASCII); default names the rule",
  },
  times: {
    type: "integer",
    minimum: 1,
    description: "Inject this many times, then resume; default 1, or no limit when `probability` is given",
  },
  probability: { type: "number", minimum: 0, maximum: 1, default: 1 },
  from: { ...address, description: "Only transactions with this MAIL FROM (not at `connect`)" },
};

const ruleBody = (withInbox: boolean) => ({
  required: true,
  content: {
    "application/json": {
      schema: {
        type: "object",
        additionalProperties: false,
        required: ["stage"],
        properties: withInbox
          ? {
              ...ruleFields,
              inbox: {
                ...address,
                description: "Only transactions to this inbox (`rcpt`, `data`, `disconnect`)",
              },
              to: { ...address, description: "Same as `inbox`" },
            }
          : ruleFields,
      } satisfies JsonSchema,
    },
  },
});

const logResponse = json(object({ entries: { type: "array", items: ref("FaultLogEntry") } }), "Oldest first");

export const faultTag = {
  name: "faults",
  description: "Programmable SMTP answers: rules and the log of injected faults",
};

export const faultPaths: Record<string, PathItem> = {
  "/api/faults": {
    post: operation({
      operationId: "createFaultRule",
      summary: "Add a fault rule",
      requestBody: ruleBody(true),
      responses: { "201": json(ref("FaultRule"), "The rule"), "400": response("BadRequest"), ...bodyErrors },
    }),
    get: operation({
      operationId: "listFaultRules",
      summary: "Active rules in the order they are tried, with their remaining counts",
      responses: { "200": json(object({ rules: { type: "array", items: ref("FaultRule") } }), "The rules") },
    }),
    delete: operation({
      operationId: "clearFaultRules",
      summary: "Remove every rule (--chaos ones come back on the next start)",
      responses: { "200": json(object({ deleted: count }), "How many were removed") },
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
      responses: { "200": json(object({ deleted: count }), "How many entries were removed") },
    }),
  },
  "/api/inboxes/{address}/faults": {
    post: operation({
      operationId: "createInboxFaultRule",
      summary: "Add a fault rule for this inbox (`rcpt`, `data` or `disconnect`)",
      parameters: [addressParameter],
      requestBody: ruleBody(false),
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

export const faultSchemas: Record<string, JsonSchema> = {
  FaultStage: {
    enum: [...FAULT_STAGES],
    description:
      "connect: instead of the greeting; mail/rcpt: reply to MAIL FROM / RCPT TO; data: after the final dot; " +
      "disconnect: connection dropped mid-DATA without a reply",
  },
  FaultRule: object({
    id: { type: "string", pattern: FAULT_RULE_ID_PATTERN.source },
    stage: ref("FaultStage"),
    code: nullable(code),
    message: string,
    inbox: nullable(address),
    from: nullable(address),
    times: nullable({ type: "integer", minimum: 1 }),
    remaining: nullable({ ...count, description: "Injections left; the rule is removed when it reaches 0" }),
    probability: { type: "number", minimum: 0, maximum: 1 },
    triggered: count,
    origin: { enum: ["api", "cli"], description: "cli: from --chaos, not saved" },
    createdAt: dateTime,
  }),
  FaultEnvelope: object({
    remoteAddress: string,
    heloName: string,
    mailFrom: nullable(string),
    rcptTo: { type: "array", items: string, description: "Recipients accepted so far" },
    recipient: nullable({ ...string, description: "At rcpt: the recipient that met the fault" }),
    authUser: nullable(string),
    tls: { type: "boolean" },
  }),
  FaultLogEntry: object({
    sequence: { type: "integer", minimum: 1 },
    at: dateTime,
    ruleId: string,
    stage: ref("FaultStage"),
    code: nullable(code),
    message: string,
    inboxes: { type: "array", items: address },
    envelope: ref("FaultEnvelope"),
  }),
};
