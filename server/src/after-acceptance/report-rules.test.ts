import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { parseReportRuleInput } from "./parse-report-rule.js";
import { ReportRules } from "./report-rules.js";

const cleanup = useCleanup();

const message = (rcptTo: string[], mailFrom = "app@example.test") => ({ mailFrom, rcptTo });

describe("ReportRules", () => {
  it("selects rules by recipient and sender without counting; consume counts once per message", async () => {
    const rules = await ReportRules.open({ dataDir: null });
    const rule = await rules.add(parseReportRuleInput({ kind: "bounce", to: "ann@x.test", times: 2 }));
    await rules.add(parseReportRuleInput({ kind: "complaint", from: "news@example.test" }));

    expect(rules.select(message(["bob@x.test"]))).toEqual([]);
    expect(rules.select(message(["Ann@X.test", "bob@x.test"]))).toEqual([
      expect.objectContaining({ ruleId: rule.id, kind: "bounce", recipients: ["Ann@X.test"] }),
    ]);
    expect(rules.select(message(["bob@x.test"], "News@Example.test"))).toEqual([
      expect.objectContaining({ kind: "complaint", recipients: ["bob@x.test"] }),
    ]);
    expect(await rules.take(rule.id)).toBe(true);
    expect(rules.rules()[0]).toMatchObject({ remaining: 1, triggered: 1 });
    expect(await rules.take(rule.id)).toBe(true);
    expect(rules.rules().map((each) => each.kind)).toEqual(["complaint"]);
    expect(await rules.take(rule.id)).toBe(false);
  });

  it("rules and the log survive a reopen; --report rules do not", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await ReportRules.open({ dataDir });
    const saved = await first.add(parseReportRuleInput({ kind: "bounce", times: 3 }));
    await first.add(parseReportRuleInput({ kind: "complaint", probability: 0.5 }), "cli");
    first.append({
      ruleId: saved.id,
      simulator: null,
      kind: "bounce",
      action: "failed",
      status: "5.1.1",
      outcome: "skipped",
      note: "test",
      original: { id: "x", messageId: null, mailFrom: "", recipients: ["a@x.test"] },
      to: null,
      report: null,
      forward: null,
    });
    await first.flushed();

    const second = await ReportRules.open({ dataDir });
    expect(second.rules()).toEqual([expect.objectContaining({ id: saved.id, remaining: 3 })]);
    expect(second.log()).toEqual([expect.objectContaining({ sequence: 1, note: "test" })]);
    expect(second.log({ inbox: "A@x.test" })).toHaveLength(1);
    expect(second.log({ inbox: "b@x.test" })).toHaveLength(0);
    expect(await second.clearLog()).toBe(1);
    await second.flushed();
    expect(JSON.parse(await readFile(path.join(dataDir, "reports.json"), "utf8"))).toMatchObject({
      rules: [{ id: saved.id }],
      log: [],
      logSequence: 1,
    });
  });
});
