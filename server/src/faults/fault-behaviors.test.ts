import { describe, expect, it } from "vitest";
import { useCleanup } from "../test-support/test-sandbox.js";
import type { FaultEnvelope, FaultStage } from "./fault-rule.js";
import { FaultStore } from "./fault-store.js";
import { parseFaultRuleInput } from "./parse-fault-rule.js";

const cleanup = useCleanup();

/** A store on a hand-driven clock. */
async function openStore(options: { random?: () => number } = {}) {
  let now = 1_000_000;
  const store = await FaultStore.open({ dataDir: null, now: () => now, ...options });
  cleanup(() => store.close());
  return {
    store,
    advance(ms: number) {
      now += ms;
    },
  };
}

function occasion(
  stage: FaultStage,
  overrides: Partial<FaultEnvelope> = {},
  connectionId = "c1",
): { stage: FaultStage; envelope: FaultEnvelope; connectionId: string } {
  return {
    stage,
    connectionId,
    envelope: {
      remoteAddress: "10.0.0.1",
      heloName: "client.test",
      mailFrom: "app@example.test",
      rcptTo: [],
      recipient: null,
      authUser: null,
      tls: false,
      ...overrides,
    },
  };
}

const rcpt = (recipient: string, overrides: Partial<FaultEnvelope> = {}) =>
  occasion("rcpt", { recipient, ...overrides });

describe("greylisting", () => {
  it("refuses a triple's first attempt with 451 4.7.1, refuses a too-early retry, accepts a late one and logs it", async () => {
    const { store, advance } = await openStore();
    const rule = await store.add(parseFaultRuleInput({ behavior: "greylist", delayMs: 100 }));

    expect(store.trigger(rcpt("ann@x.test"))?.effect).toEqual({
      kind: "reply",
      code: 451,
      text: `4.7.1 Greylisted, try again later (Mailnest fault ${rule.id})`,
    });
    advance(60);
    expect(store.trigger(rcpt("ann@x.test"))?.effect).toMatchObject({ kind: "reply", code: 451 });
    advance(40);
    expect(store.trigger(rcpt("ann@x.test"))).toBeNull();
    expect(store.trigger(rcpt("ann@x.test"))).toBeNull();

    expect(store.log().map((entry) => [entry.behavior, entry.code, entry.status, entry.message])).toEqual([
      ["greylist", 451, "4.7.1", `Greylisted, try again later (Mailnest fault ${rule.id})`],
      [
        "greylist",
        451,
        "4.7.1",
        `Greylisted, try again later (Mailnest fault ${rule.id}) [retried after 60 ms of 100 ms]`,
      ],
      ["greylist", 250, null, "Greylisting passed: retried 100 ms after the first attempt (100 ms required)"],
    ]);
    expect(store.rules()).toEqual([expect.objectContaining({ id: rule.id, triggered: 2, remaining: null })]);
  });

  it("keys on client address, sender and recipient: a new element is a new triple", async () => {
    const { store, advance } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "greylist", delayMs: 100 }));
    expect(store.trigger(rcpt("ann@x.test"))).not.toBeNull();
    advance(100);
    expect(store.trigger(rcpt("ANN@x.test"))).toBeNull();
    expect(store.trigger(rcpt("bob@x.test"))).not.toBeNull();
    expect(store.trigger(rcpt("ann@x.test", { mailFrom: "other@example.test" }))).not.toBeNull();
    expect(store.trigger(rcpt("ann@x.test", { remoteAddress: "10.0.0.2" }))).not.toBeNull();
  });

  it("a triple spared by the probability stays spared", async () => {
    const rolls = [0.9];
    const { store } = await openStore({ random: () => rolls.shift() ?? 0 });
    await store.add(parseFaultRuleInput({ behavior: "greylist", delayMs: 100, probability: 0.5 }));
    expect(store.trigger(rcpt("ann@x.test"))).toBeNull();
    expect(store.trigger(rcpt("ann@x.test"))).toBeNull();
    expect(store.trigger(rcpt("bob@x.test"))).not.toBeNull();
  });
});

describe("rate limits", () => {
  it("per sender: the limit+1th transaction in the window gets 421 4.7.0; the window slides", async () => {
    const { store, advance } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "rate-limit", limit: 2, windowMs: 1000 }));
    const mail = (from: string) => store.trigger(occasion("mail", { mailFrom: from }));

    expect(mail("app@example.test")).toBeNull();
    advance(500);
    expect(mail("app@example.test")).toBeNull();
    expect(mail("other@example.test")).toBeNull();
    expect(mail("app@example.test")?.effect).toMatchObject({ kind: "reply", code: 421 });
    expect(mail("App@Example.test")?.effect).toMatchObject({
      code: 421,
      text: expect.stringMatching(/^4\.7\.0 /),
    });
    advance(501);
    // The first transaction left the window: one more fits.
    expect(mail("app@example.test")).toBeNull();
    expect(mail("app@example.test")).not.toBeNull();
  });

  it("per connection counts each connection apart and forgets it when it closes", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "rate-limit", limit: 1, per: "connection", code: 451 }));
    store.connectionOpened("c1", "10.0.0.1");
    store.connectionOpened("c2", "10.0.0.1");
    expect(store.trigger(occasion("mail", {}, "c1"))).toBeNull();
    expect(store.trigger(occasion("mail", {}, "c2"))).toBeNull();
    expect(store.trigger(occasion("mail", {}, "c1"))?.effect).toMatchObject({
      code: 451,
      text: expect.stringMatching(/^4\.7\.1 /),
    });
    store.connectionClosed("c1");
    expect(store.trigger(occasion("mail", {}, "c1"))).toBeNull();
  });

  it("per client counts every connection from one address together", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "rate-limit", limit: 1, per: "client" }));
    expect(store.trigger(occasion("mail", {}, "c1"))).toBeNull();
    expect(store.trigger(occasion("mail", { mailFrom: "b@example.test" }, "c2"))).not.toBeNull();
    expect(store.trigger(occasion("mail", { remoteAddress: "10.0.0.9" }, "c3"))).toBeNull();
  });
});

describe("connection limits, slow answers, tarpits, mailbox full, unknown users, blackholes", () => {
  it("a connection beyond the limit from one client gets 421 4.7.0 at connect", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "connection-limit", limit: 2 }));
    for (const id of ["c1", "c2"]) {
      store.connectionOpened(id, "10.0.0.1");
      expect(store.trigger(occasion("connect", {}, id))).toBeNull();
    }
    store.connectionOpened("c3", "10.0.0.1");
    expect(store.trigger(occasion("connect", {}, "c3"))?.effect).toMatchObject({
      kind: "reply",
      code: 421,
      text: expect.stringMatching(/^4\.7\.0 Too many connections/),
    });
    store.connectionClosed("c3");
    store.connectionClosed("c1");
    store.connectionOpened("c4", "10.0.0.1");
    expect(store.trigger(occasion("connect", {}, "c4"))).toBeNull();
  });

  it("slow delays the reply by its delay; a tarpit by one more delay per reply of the connection", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "slow", stage: "mail", delayMs: 30 }));
    await store.add(parseFaultRuleInput({ behavior: "tarpit", delayMs: 10 }));
    expect(store.trigger(occasion("mail"))?.effect).toEqual({ kind: "delay", ms: 30 });
    expect([1, 2, 3].map(() => store.trigger(rcpt("a@x.test"))?.effect)).toEqual([
      { kind: "delay", ms: 10 },
      { kind: "delay", ms: 20 },
      { kind: "delay", ms: 30 },
    ]);
    expect(store.trigger(occasion("rcpt", { recipient: "a@x.test" }, "c2"))?.effect).toEqual({
      kind: "delay",
      ms: 10,
    });
    expect(store.log().at(-1)).toMatchObject({
      behavior: "tarpit",
      code: null,
      message: "Reply delayed by 10 ms",
    });
  });

  it("mailbox full answers 452 4.2.2 (552 5.2.2 when permanent); unknown users match a pattern", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "mailbox-full", inbox: "full@x.test" }));
    await store.add(parseFaultRuleInput({ behavior: "mailbox-full", code: 552, inbox: "fuller@x.test" }));
    await store.add(parseFaultRuleInput({ behavior: "unknown-user", pattern: "old-*@x.test" }));
    const text = (recipient: string) => {
      const effect = store.trigger(rcpt(recipient))?.effect;
      return effect?.kind === "reply" ? `${effect.code} ${effect.text}` : null;
    };
    expect(text("full@x.test")).toMatch(/^452 4\.2\.2 Mailbox full/);
    expect(text("fuller@x.test")).toMatch(/^552 5\.2\.2 Mailbox full/);
    expect(text("old-ann@x.test")).toMatch(/^550 5\.1\.1 No such user here/);
    expect(text("Old-Bob@X.test")).toMatch(/^550 5\.1\.1/);
    expect(text("new-ann@x.test")).toBeNull();
  });

  it("a blackhole is logged with 250 and the inboxes it swallowed", async () => {
    const { store } = await openStore();
    await store.add(parseFaultRuleInput({ behavior: "blackhole", inbox: "void@x.test" }));
    expect(store.trigger(occasion("data", { rcptTo: ["a@x.test"] }))).toBeNull();
    expect(store.trigger(occasion("data", { rcptTo: ["a@x.test", "void@x.test"] }))?.effect).toEqual({
      kind: "blackhole",
    });
    expect(store.log({ inbox: "void@x.test" })).toEqual([
      expect.objectContaining({ behavior: "blackhole", code: 250, inboxes: ["a@x.test", "void@x.test"] }),
    ]);
  });
});
