import { FAULT_RULE_ID_PATTERN } from "../../faults/fault-rule.js";
import type { FaultStore } from "../../faults/fault-store.js";
import { parseFaultRuleInput } from "../../faults/parse-fault-rule.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import { addressParam, type QueryValues } from "./params.js";

/** `/api/faults…` and the inbox shortcuts (docs/api.md, "Faults"). */
export function faultRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const faults = (): FaultStore => {
    if (!deps.faults) throw new NotFoundError("Fault injection is not enabled on this server");
    return deps.faults;
  };

  routes.post("/api/faults", async (req, res) => {
    res.status(201).json(await faults().add(parseFaultRuleInput(req.body)));
  });

  routes.get("/api/faults", async (_req, res) => {
    res.json({ rules: await faults().currentRules() });
  });

  routes.delete("/api/faults", async (_req, res) => {
    res.json({ deleted: await faults().clear() });
  });

  // Before `/api/faults/:id`, which would otherwise take "log" for an id.
  routes.get("/api/faults/log", async (req, res) => {
    const inbox = logInboxQuery(req.query);
    res.json({ entries: await faults().currentLog(inbox === undefined ? {} : { inbox }) });
  });

  routes.delete("/api/faults/log", async (_req, res) => {
    res.json({ deleted: await faults().clearLog() });
  });

  routes.delete("/api/faults/:id", async (req, res) => {
    const id = req.params.id;
    const noRule = new NotFoundError(`No fault rule with id ${JSON.stringify(String(id))}`);
    if (typeof id !== "string" || !FAULT_RULE_ID_PATTERN.test(id)) throw noRule;
    if (!(await faults().remove(id))) throw noRule;
    res.status(204).end();
  });

  routes.post("/api/inboxes/:address/faults", async (req, res) => {
    const inbox = addressParam(req.params.address);
    res.status(201).json(await faults().add(parseFaultRuleInput(req.body, inbox)));
  });

  routes.get("/api/inboxes/:address/faults", async (req, res) => {
    res.json({ entries: await faults().currentLog({ inbox: addressParam(req.params.address) }) });
  });
}

/**
 * `?inbox=` is the only parameter of a rule log (faults, reports); a typo must not silently list
 * every inbox's entries.
 */
export function logInboxQuery(query: QueryValues): string | undefined {
  for (const name of Object.keys(query)) {
    if (name !== "inbox") {
      throw InvalidParameterError.expected(name, "no such parameter (known: inbox)", query[name]);
    }
  }
  const value = query.inbox;
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw InvalidParameterError.expected("inbox", "a single value", value);
  try {
    return addressParam(value);
  } catch {
    throw InvalidParameterError.expected("inbox", "an email address such as user@mailnest.test", value);
  }
}
