import { InvalidReportRuleError } from "../../after-acceptance/invalid-report-rule-error.js";
import { parseReportRuleInput } from "../../after-acceptance/parse-report-rule.js";
import type { ReportEngine } from "../../after-acceptance/report-engine.js";
import { REPORT_RULE_ID_PATTERN } from "../../after-acceptance/report-rule.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import { logInboxQuery } from "./fault-routes.js";
import { addressParam } from "./params.js";

/** `/api/reports…` and the inbox shortcuts (docs/after-acceptance.md, docs/api.md "Reports"). */
export function reportRoutes(routes: ApiRoutes, deps: ApiDeps): void {
  const reports = (): ReportEngine => {
    if (!deps.reports) throw new NotFoundError("Reports after acceptance are not enabled on this server");
    return deps.reports;
  };
  const parse = (body: unknown, inbox?: string) => {
    try {
      return parseReportRuleInput(body, inbox);
    } catch (error) {
      if (error instanceof InvalidReportRuleError)
        throw new InvalidParameterError(error.parameter, error.message);
      throw error;
    }
  };

  routes.post("/api/reports", async (req, res) => {
    res.status(201).json(await reports().rules.add(parse(req.body)));
  });

  routes.get("/api/reports", (_req, res) => {
    res.json({ rules: reports().rules.rules() });
  });

  // Rules go, and so do the reports still waiting for their time: a test that resets starts clean.
  routes.delete("/api/reports", async (_req, res) => {
    const engine = reports();
    engine.cancelPending();
    res.json({ deleted: await engine.rules.clear() });
  });

  // Before `/api/reports/:id`, which would otherwise take these for ids.
  routes.get("/api/reports/log", (req, res) => {
    const inbox = logInboxQuery(req.query);
    res.json({ entries: reports().rules.log(inbox === undefined ? {} : { inbox }) });
  });

  routes.delete("/api/reports/log", async (_req, res) => {
    res.json({ deleted: await reports().rules.clearLog() });
  });

  routes.get("/api/reports/pending", (_req, res) => {
    res.json({ reports: reports().pending() });
  });

  routes.delete("/api/reports/pending", (_req, res) => {
    res.json({ deleted: reports().cancelPending() });
  });

  routes.get("/api/reports/simulator", (_req, res) => {
    res.json(reports().simulator());
  });

  routes.delete("/api/reports/:id", async (req, res) => {
    const id = req.params.id;
    const noRule = new NotFoundError(`No report rule with id ${JSON.stringify(String(id))}`);
    if (typeof id !== "string" || !REPORT_RULE_ID_PATTERN.test(id)) throw noRule;
    if (!(await reports().rules.remove(id))) throw noRule;
    res.status(204).end();
  });

  routes.post("/api/inboxes/:address/reports", async (req, res) => {
    const inbox = addressParam(req.params.address);
    res.status(201).json(await reports().rules.add(parse(req.body, inbox)));
  });

  routes.get("/api/inboxes/:address/reports", (req, res) => {
    res.json({ entries: reports().rules.log({ inbox: addressParam(req.params.address) }) });
  });
}
