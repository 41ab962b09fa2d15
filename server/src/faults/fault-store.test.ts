import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import type { FaultEnvelope, FaultStage } from "./fault-rule.js";
import { FaultStore } from "./fault-store.js";
import { parseFaultRuleInput } from "./parse-fault-rule.js";

const cleanup = useCleanup();

function envelope(overrides: Partial<FaultEnvelope> = {}): FaultEnvelope {
  return {
    remoteAddress: "127.0.0.1",
    heloName: "client.test",
    mailFrom: "app@example.test",
    rcptTo: [],
    recipient: null,
    authUser: null,
    tls: false,
    ...overrides,
  };
}

const rcpt = (recipient: string, overrides: Partial<FaultEnvelope> = {}) => ({
  stage: "rcpt" as FaultStage,
  envelope: envelope({ recipient, ...overrides }),
});

async function openStore(
  options: { dataDir?: string | null; random?: () => number; maxLogEntries?: number } = {},
) {
  const store = await FaultStore.open({ dataDir: null, ...options });
  cleanup(() => store.close());
  return store;
}

describe("FaultStore", () => {
  it("a rule with times: 2 fires twice for its inbox, then is used up and removed", async () => {
    const store = await openStore();
    const rule = await store.add(
      parseFaultRuleInput({ stage: "rcpt", code: 451, to: "ann@x.test", times: 2 }),
    );
    expect(rule).toMatchObject({
      remaining: 2,
      triggered: 0,
      origin: "api",
      id: expect.stringMatching(/^flt_/),
    });

    expect(store.trigger(rcpt("bob@x.test"))).toBeNull();
    expect(store.trigger(rcpt("Ann@X.test"))?.rule).toMatchObject({ remaining: 1, triggered: 1 });
    expect(store.rules()).toEqual([expect.objectContaining({ id: rule.id, remaining: 1 })]);
    expect(store.trigger(rcpt("ann@x.test"))?.rule).toMatchObject({ remaining: 0, triggered: 2 });
    expect(store.trigger(rcpt("ann@x.test"))).toBeNull();
    expect(store.rules()).toEqual([]);
  });

  it("logs every injected fault with the envelope so far, filterable by inbox", async () => {
    const store = await openStore();
    await store.add(parseFaultRuleInput({ stage: "rcpt", code: 451, message: "slow down", times: 5 }));
    store.trigger(rcpt("ann@x.test", { rcptTo: ["first@x.test"], authUser: "u" }));
    store.trigger(rcpt("bob@x.test"));

    const log = store.log();
    expect(log).toEqual([
      {
        sequence: 1,
        at: expect.any(String),
        ruleId: expect.stringMatching(/^flt_/),
        behavior: "reply",
        stage: "rcpt",
        code: 451,
        status: "4.3.0",
        message: "slow down",
        inboxes: ["ann@x.test"],
        envelope: envelope({ recipient: "ann@x.test", rcptTo: ["first@x.test"], authUser: "u" }),
      },
      expect.objectContaining({ sequence: 2, inboxes: ["bob@x.test"] }),
    ]);
    expect(store.log({ inbox: "BOB@x.test" }).map((entry) => entry.sequence)).toEqual([2]);
    expect(await store.clearLog()).toBe(2);
    expect(store.log()).toEqual([]);
  });

  it("at data and disconnect, an inbox rule matches any recipient; a sender rule matches MAIL FROM", async () => {
    const store = await openStore();
    await store.add(
      parseFaultRuleInput({ stage: "data", code: 554, inbox: "b@x.test", from: "App@Example.test" }),
    );
    const data = (rcptTo: string[], mailFrom: string) => ({
      stage: "data" as const,
      envelope: envelope({ rcptTo, mailFrom }),
    });

    expect(store.trigger(data(["a@x.test"], "app@example.test"))).toBeNull();
    expect(store.trigger(data(["a@x.test", "b@x.test"], "other@example.test"))).toBeNull();
    expect(store.trigger(data(["a@x.test", "B@x.test"], "app@example.test"))?.entry.inboxes).toEqual([
      "a@x.test",
      "b@x.test",
    ]);
  });

  it("probability 1 always fires, probability 0 never does, in between it follows the dice", async () => {
    const rolls = [0.5, 0.05, 0.99];
    const store = await openStore({ random: () => rolls.shift() ?? 1 });
    await store.add(parseFaultRuleInput({ stage: "mail", code: 421, probability: 0 }));
    expect(store.trigger({ stage: "mail", envelope: envelope() })).toBeNull();
    await store.clear();

    await store.add(parseFaultRuleInput({ stage: "mail", code: 421, probability: 0.1 }));
    const hits = [1, 2, 3].map(() => store.trigger({ stage: "mail", envelope: envelope() }) !== null);
    expect(hits).toEqual([false, true, false]);
    await store.clear();

    await store.add(parseFaultRuleInput({ stage: "mail", code: 421, probability: 1 }));
    expect(store.trigger({ stage: "mail", envelope: envelope() })).not.toBeNull();
  });

  it("tries rules aimed at an inbox before global ones", async () => {
    const store = await openStore();
    const global = await store.add(parseFaultRuleInput({ stage: "rcpt", code: 451, probability: 1 }));
    const targeted = await store.add(parseFaultRuleInput({ stage: "rcpt", code: 550, to: "ann@x.test" }));
    expect(store.trigger(rcpt("ann@x.test"))?.rule.id).toBe(targeted.id);
    expect(store.trigger(rcpt("ann@x.test"))?.rule.id).toBe(global.id);
  });

  it("keeps only the newest log entries", async () => {
    const store = await openStore({ maxLogEntries: 3 });
    await store.add(parseFaultRuleInput({ stage: "mail", code: 421, probability: 1 }));
    for (let i = 0; i < 5; i++) store.trigger({ stage: "mail", envelope: envelope() });
    expect(store.log().map((entry) => entry.sequence)).toEqual([3, 4, 5]);
  });

  it("rules and the log survive a reopen; --chaos rules do not; sequences keep counting", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await FaultStore.open({ dataDir });
    const saved = await first.add(
      parseFaultRuleInput({ stage: "rcpt", code: 451, to: "a@x.test", times: 3 }),
    );
    await first.add(parseFaultRuleInput({ stage: "data", code: 554, probability: 0.5 }), "cli");
    first.trigger(rcpt("a@x.test"));
    await first.close();

    const second = await openStore({ dataDir });
    expect(second.rules()).toEqual([expect.objectContaining({ id: saved.id, remaining: 2, triggered: 1 })]);
    expect(second.log()).toEqual([expect.objectContaining({ sequence: 1, ruleId: saved.id })]);
    await second.clearLog();
    second.trigger(rcpt("a@x.test"));
    expect(second.log().map((entry) => entry.sequence)).toEqual([2]);
    await second.close();
    expect(JSON.parse(await readFile(path.join(dataDir, "faults.json"), "utf8"))).toMatchObject({
      rules: [{ id: saved.id, remaining: 1 }],
      logSequence: 2,
    });
  });

  it("a broken faults.json is moved aside and the store starts empty", async () => {
    const dataDir = await tempDir(cleanup);
    await writeFile(path.join(dataDir, "faults.json"), "{ not json");
    const store = await openStore({ dataDir });
    expect(store.rules()).toEqual([]);
    expect(await readFile(path.join(dataDir, "faults.json.broken"), "utf8")).toBe("{ not json");
  });
});
