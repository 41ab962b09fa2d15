import { DNS_RECORD_TYPES, type DnsRecordList, type DnsRecordType } from "@mailnest/protocol";
import type { DeliverabilityLab } from "../../deliverability/deliverability-lab.js";
import { isDnsRecordType } from "../../deliverability/dns-record.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import type { QueryValues } from "./params.js";

/**
 * `/api/dns/…` (docs/authentication.md): the records the verifier answers from, and DKIM keys
 * created and published in one call. A bad record is a 400 naming the field (`to-api-error.ts`).
 */
export function dnsRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const lab = (): DeliverabilityLab => {
    if (!deps.deliverability) throw new NotFoundError("The DNS zone is not enabled on this server");
    return deps.deliverability;
  };

  routes.get("/api/dns/records", (req, res) => {
    const { name } = recordQuery(req.query, ["name"]);
    const body: DnsRecordList = { mode: lab().mode, records: lab().zone.list(name) };
    res.json(body);
  });

  routes.post("/api/dns/records", async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== "object" || Array.isArray(body)) {
      throw InvalidParameterError.expected("body", "{ name, type, value, ttl? }", body);
    }
    for (const key of Object.keys(body)) {
      if (!["name", "type", "value", "ttl"].includes(key)) {
        throw InvalidParameterError.expected(key, "no such field (known: name, type, value, ttl)", body[key]);
      }
    }
    res.status(201).json(await lab().addRecord(body as { name: unknown; type: unknown; value: unknown }));
  });

  routes.delete("/api/dns/records", async (req, res) => {
    const { name, type, value } = recordQuery(req.query, ["name", "type", "value"]);
    if (name === undefined)
      throw InvalidParameterError.expected("name", "the record name to delete", undefined);
    res.json({
      deleted: await lab().removeRecords({
        name,
        ...(type === undefined ? {} : { type }),
        ...(value === undefined ? {} : { value }),
      }),
    });
  });

  routes.post("/api/dns/dkim-keys", async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      if (!["domain", "selector", "algorithm", "bits"].includes(key)) {
        throw InvalidParameterError.expected(
          key,
          "no such field (known: domain, selector, algorithm, bits)",
          body[key],
        );
      }
    }
    res.status(201).json(await lab().createDkimKey(body as { domain: unknown; selector: unknown }));
  });
}

/** `?name=`, `?type=`, `?value=` as single strings; anything else is a typo, not "no filter". */
function recordQuery(
  query: QueryValues,
  known: readonly ("name" | "type" | "value")[],
): { name?: string; type?: DnsRecordType; value?: string } {
  const result: { name?: string; type?: DnsRecordType; value?: string } = {};
  for (const key of Object.keys(query)) {
    if (!(known as readonly string[]).includes(key) && key !== "token") {
      throw InvalidParameterError.expected(key, `no such parameter (known: ${known.join(", ")})`, query[key]);
    }
  }
  for (const key of known) {
    const value = query[key];
    if (value === undefined || value === "") continue;
    if (typeof value !== "string") throw InvalidParameterError.expected(key, "a single value", value);
    if (key === "type") {
      const type = value.toUpperCase();
      if (!isDnsRecordType(type))
        throw InvalidParameterError.expected("type", `one of ${DNS_RECORD_TYPES.join(", ")}`, value);
      result.type = type;
    } else {
      result[key] = value;
    }
  }
  return result;
}
