import { DNS_RECORD_TYPES } from "@mailnest/protocol";
import { bodyErrors, commonErrors, json, ref, response, string } from "./schema.js";
import type { Operation, Parameter, PathItem } from "./types.js";

/** The "DNS" part of `GET /api/openapi.json` (docs/authentication.md), merged in by `document.ts`. */

function operation(spec: Omit<Operation, "tags">): Operation {
  return { ...spec, tags: ["dns"], responses: { ...spec.responses, ...commonErrors } };
}

const query = (name: string, description: string, schema = string): Parameter => ({
  name,
  in: "query",
  description,
  schema,
});

/** A change of the zone shared through PostgreSQL, while the database is away (docs/scaling.md, "DNS"). */
const sharedZoneAway = { "503": response("StorageUnavailable") };

export const dnsTag = {
  name: "dns",
  description: "The DNS zone SPF, DKIM, DMARC and ARC are verified against, and DKIM keys",
};

export const dnsPaths: Record<string, PathItem> = {
  "/api/dns/records": {
    get: operation({
      operationId: "listDnsRecords",
      summary: "Every record of the zone, or those of one name, and the resolver mode",
      parameters: [query("name", "Only the records of this name")],
      responses: { "200": json(ref("DnsRecordList"), "The records"), "400": response("BadRequest") },
    }),
    post: operation({
      operationId: "addDnsRecord",
      summary: "Add a record (adding one already there only updates its TTL)",
      requestBody: { required: true, content: { "application/json": { schema: ref("DnsRecordRequest") } } },
      responses: {
        "201": json(ref("DnsRecord"), "The record as stored"),
        "400": response("BadRequest"),
        ...bodyErrors,
        ...sharedZoneAway,
      },
    }),
    delete: operation({
      operationId: "deleteDnsRecords",
      summary: "Delete the records of a name, optionally only of a type and value",
      parameters: [
        { ...query("name", "The name whose records go"), required: true },
        query("type", "Only records of this type", { type: "string", enum: [...DNS_RECORD_TYPES] }),
        query("value", "Only the record with this value"),
      ],
      responses: {
        "200": json(ref("DeletedCount"), "How many were deleted"),
        "400": response("BadRequest"),
        ...sharedZoneAway,
      },
    }),
  },
  "/api/dns/dkim-keys": {
    post: operation({
      operationId: "createDkimKey",
      summary:
        "Create a DKIM key pair, publish its public key at <selector>._domainkey.<domain>, return the private key",
      requestBody: { required: true, content: { "application/json": { schema: ref("DkimKeyRequest") } } },
      responses: {
        "201": json(ref("DkimKey"), "The key pair and the record published"),
        "400": response("BadRequest"),
        ...bodyErrors,
        ...sharedZoneAway,
      },
    }),
  },
};
