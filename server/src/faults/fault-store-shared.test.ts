import { describe, expect, it, vi } from "vitest";
import { useCleanup } from "../test-support/test-sandbox.js";
import type { FaultLogEntry, FaultRule } from "./fault-rule.js";
import { FaultStore } from "./fault-store.js";
import { parseFaultRuleInput } from "./parse-fault-rule.js";
import type { FaultLogRecord, SharedFaultRules } from "./shared-fault-rules.js";

const cleanup = useCleanup();

/**
 * The shared store's contract in memory (the PostgreSQL one is `store/postgres/postgres-fault-rules.ts`,
 * tested in `shared-faults.test.ts`), with a switch that makes every call fail as an outage would.
 */
class MemorySharedRules implements SharedFaultRules {
  rules: FaultRule[] = [];
  entries: FaultLogEntry[] = [];
  away = false;

  #check(): void {
    if (this.away)
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  }
  async insert(rule: FaultRule) {
    this.#check();
    this.rules.push({ ...rule });
  }
  async list() {
    this.#check();
    return this.rules.map((rule) => ({ ...rule }));
  }
  async delete(id: string) {
    this.#check();
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }
  async clear() {
    this.#check();
    return this.rules.splice(0).map((rule) => rule.id);
  }
  async consume(id: string) {
    this.#check();
    const rule = this.rules.find((candidate) => candidate.id === id);
    if (!rule || rule.remaining === 0) return null;
    rule.triggered += 1;
    if (rule.remaining !== null) rule.remaining -= 1;
    if (rule.remaining === 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
    return { ...rule };
  }
  async appendLog(entry: FaultLogRecord) {
    this.#check();
    const stored = { sequence: this.entries.length + 1, ...entry };
    this.entries.push(stored);
    return stored;
  }
  async log() {
    this.#check();
    return [...this.entries];
  }
  async clearLog() {
    this.#check();
    return this.entries.splice(0).length;
  }
  async close() {}
}

const rcpt = (recipient: string) => ({
  stage: "rcpt" as const,
  envelope: {
    remoteAddress: "127.0.0.1",
    heloName: "client.test",
    mailFrom: "app@example.test",
    rcptTo: [],
    recipient,
    authUser: null,
    tls: false,
  },
});

async function openShared() {
  const shared = new MemorySharedRules();
  const store = await FaultStore.open({ dataDir: null, shared });
  cleanup(() => store.close());
  return { shared, store };
}

describe("FaultStore with shared rules", () => {
  it("an API rule goes to the shared store and a --chaos rule stays here; the faults of both go to the shared log", async () => {
    const { shared, store } = await openShared();
    const api = await store.add(
      parseFaultRuleInput({ stage: "rcpt", code: 550, to: "ann@x.test", times: 1 }),
    );
    const cli = await store.add(parseFaultRuleInput({ stage: "rcpt", code: 451, probability: 1 }), "cli");
    expect(shared.rules.map((rule) => rule.id)).toEqual([api.id]);
    expect(store.rules().map((rule) => rule.id)).toEqual([api.id, cli.id]);

    expect(await store.decide(rcpt("ann@x.test"))).toMatchObject({ rule: { id: api.id, remaining: 0 } });
    expect(store.decide(rcpt("bob@x.test"))).toMatchObject({ rule: { id: cli.id } });
    expect((await store.currentLog()).map((entry) => entry.ruleId)).toEqual([api.id, cli.id]);
    expect(await store.currentRules()).toMatchObject([{ id: cli.id }]);
  });

  it("clearing the log clears the entries still being written behind a reply", async () => {
    const { shared, store } = await openShared();
    await store.add(parseFaultRuleInput({ stage: "rcpt", code: 550, to: "bob@x.test", probability: 1 }));
    // An unlimited rule answers at once; its use and log entry are written after the reply.
    expect(store.decide(rcpt("bob@x.test"))).toMatchObject({ effect: { code: 550 } });
    expect(shared.entries).toHaveLength(0);

    expect(await store.clearLog()).toBe(1);
    expect(shared.entries).toEqual([]);
  });

  it("while the shared store is away, a limited rule is not applied (the command carries on) and an unlimited one still is", async () => {
    const { shared, store } = await openShared();
    const limited = await store.add(
      parseFaultRuleInput({ stage: "rcpt", code: 451, to: "ann@x.test", times: 2 }),
    );
    const unlimited = await store.add(
      parseFaultRuleInput({ stage: "rcpt", code: 550, to: "bob@x.test", probability: 1 }),
    );
    const reported = vi.spyOn(console, "error").mockImplementation(() => {});
    cleanup(() => reported.mockRestore());
    shared.away = true;

    expect(await store.decide(rcpt("ann@x.test"))).toBeNull();
    expect(await store.decide(rcpt("ann@x.test"))).toBeNull();
    expect(store.decide(rcpt("bob@x.test"))).toMatchObject({ rule: { id: unlimited.id } });
    await store.flushed();
    // Said once for the outage, not once per command.
    expect(reported).toHaveBeenCalledTimes(1);

    shared.away = false;
    expect(await store.decide(rcpt("ann@x.test"))).toMatchObject({ rule: { id: limited.id, remaining: 1 } });
  });
});
