import { deserialize, serialize } from "node:v8";
import type { AuthenticationSummary } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { MessageIndex } from "./message-index.js";
import type { MessageSummary } from "./model.js";
import { SummaryInterner } from "./summary-interner.js";

function summary(sequence: number, inboxes: string[]): MessageSummary {
  // Fresh objects and strings each time, as JSON.parse or the parser hands them over.
  const copy = (text: string) => JSON.parse(JSON.stringify(text)) as string;
  return {
    id: `01jz${String(sequence).padStart(22, "0")}`,
    sequence,
    inboxes: inboxes.map(copy),
    mailFrom: copy("app@example.test"),
    rcptTo: inboxes.map(copy),
    messageId: `<${sequence}@example.test>`,
    subject: `message ${sequence}`,
    from: [{ name: copy("The App"), address: copy("app@example.test") }],
    to: inboxes.map((address) => ({ name: "", address: copy(address) })),
    cc: [],
    date: null,
    receivedAt: "2025-07-01T10:00:00.000Z",
    receivedTime: Date.parse("2025-07-01T10:00:00.000Z"),
    duplicateOf: null,
    size: 1,
    sha256: "",
    attachmentCount: 0,
    authUser: null,
    tls: false,
    read: false,
    snippet: "",
    parseError: null,
  };
}

describe("SummaryInterner", () => {
  it("gives summaries with the same addresses one shared, frozen copy, equal to the original", () => {
    const interner = new SummaryInterner();
    const first = summary(1, ["a@x.test", "b@x.test"]);
    const second = summary(2, ["a@x.test", "b@x.test"]);
    const original = structuredClone(first);
    interner.compact(first);
    interner.compact(second);

    expect(first).toEqual(original);
    expect(second.inboxes).toBe(first.inboxes);
    expect(second.rcptTo).toBe(first.rcptTo);
    expect(second.from).toBe(first.from);
    expect(second.to).toBe(first.to);
    // A change in place would change every message sharing the list: it throws instead.
    expect(() => first.inboxes.push("c@x.test")).toThrow(TypeError);
    expect(() => {
      first.from[0]!.name = "Someone else";
    }).toThrow(TypeError);
  });

  it("in a batch (a load from the snapshot), interns lists that are one object already to the right copy", () => {
    // v8.deserialize keeps identity: the messages of one inbox share one `inboxes` array, as here.
    const written = Array.from({ length: 6 }, (_, i) =>
      summary(i + 1, [i % 2 ? "odd@x.test" : "even@x.test"]),
    );
    const shared = { odd: written[1]!.inboxes, even: written[0]!.inboxes };
    for (const [i, each] of written.entries()) {
      each.inboxes = i % 2 ? shared.odd : shared.even;
      each.rcptTo = each.inboxes;
    }
    const loaded = deserialize(serialize(written)) as MessageSummary[];
    const expected = structuredClone(loaded);
    const index = new MessageIndex();
    index.addAll(loaded);

    expect(loaded).toEqual(expected);
    expect(loaded[2]!.inboxes).toBe(loaded[0]!.inboxes);
    expect(loaded[3]!.inboxes).toBe(loaded[1]!.inboxes);
    expect(loaded[0]!.inboxes).not.toBe(loaded[1]!.inboxes);
    expect(Object.isFrozen(loaded[5]!.inboxes)).toBe(true);
    expect(index.inboxMessages("odd@x.test").map((each) => each.sequence)).toEqual([2, 4, 6]);
    // A message added after the load shares the copy the load interned.
    const later = summary(7, ["even@x.test"]);
    index.add(later);
    expect(later.inboxes).toBe(loaded[0]!.inboxes);
  });

  it("in a batch, interns verdict sets that are one object already to the right copy", () => {
    const none = { dkim: "none", spf: "none", dmarc: "none", arc: "none" } as AuthenticationSummary;
    const pass = { dkim: "pass", spf: "pass", dmarc: "pass", arc: "none" } as AuthenticationSummary;
    const written = Array.from({ length: 6 }, (_, i) => ({
      ...summary(i + 1, ["a@x.test"]),
      authSummary: i % 3 === 2 ? pass : none,
    }));
    const loaded = deserialize(serialize(written)) as MessageSummary[];
    const index = new MessageIndex();
    index.addAll(loaded);

    expect(loaded.map((each) => each.authSummary?.dkim)).toEqual([
      "none",
      "none",
      "pass",
      "none",
      "none",
      "pass",
    ]);
    expect(loaded[1]!.authSummary).toBe(loaded[0]!.authSummary);
    expect(loaded[5]!.authSummary).toBe(loaded[2]!.authSummary);
    expect(Object.isFrozen(loaded[2]!.authSummary)).toBe(true);
    // A message added later, whose verdicts are a new object, shares the copy the load interned.
    const later = { ...summary(7, ["a@x.test"]), authSummary: { ...pass } };
    index.add(later);
    expect(later.authSummary).toBe(loaded[2]!.authSummary);
  });

  it("keeps every Date as it was when it shares one with the message before", () => {
    // Sharing a string cannot be seen from JavaScript; what must hold is that no message ends up
    // with its neighbour's Date.
    const interner = new SummaryInterner();
    const dates = [
      "2025-07-01T10:00:00.000Z",
      "2025-07-01T10:00:00.000Z",
      null,
      "2025-07-01T10:00:01.000Z",
      "2025-07-01T10:00:00.000Z",
      null,
      "2025-07-01T10:00:01.000Z",
    ];
    const summaries = dates.map((date, index) => ({ ...summary(index + 1, ["a@x.test"]), date }));
    for (const each of summaries) interner.compact(each);
    expect(summaries.map((each) => each.date)).toEqual(dates);
  });

  it("shares verdict sets, keeps different ones apart and leaves a summary without verdicts alone", () => {
    const interner = new SummaryInterner();
    const verdicts = (dkim: string) =>
      JSON.parse(JSON.stringify({ dkim, spf: "none", dmarc: "none", arc: "none" })) as AuthenticationSummary;
    const first = { ...summary(1, ["a@x.test"]), authSummary: verdicts("none") };
    const second = { ...summary(2, ["a@x.test"]), authSummary: verdicts("none") };
    const signed = { ...summary(3, ["a@x.test"]), authSummary: verdicts("pass") };
    const unverified = summary(4, ["a@x.test"]);
    for (const each of [first, second, signed, unverified]) interner.compact(each);

    expect(second.authSummary).toBe(first.authSummary);
    expect(signed.authSummary).toEqual({ dkim: "pass", spf: "none", dmarc: "none", arc: "none" });
    expect(signed.authSummary).not.toBe(first.authSummary);
    expect(Object.isFrozen(first.authSummary)).toBe(true);
    expect("authSummary" in unverified).toBe(false);
  });

  it("keeps lists that differ apart, the empty one and one empty string included", () => {
    const interner = new SummaryInterner();
    const first = summary(1, ["a@x.test"]);
    const second = summary(2, ["b@x.test"]);
    interner.compact(first);
    interner.compact(second);
    expect(second.inboxes).not.toBe(first.inboxes);
    expect(second.inboxes).toEqual(["b@x.test"]);
    expect(interner.list([])).toEqual([]);
    expect(interner.list([""])).toEqual([""]);
    expect(interner.list(["a", "b"])).toEqual(["a", "b"]);
    expect(interner.list(["a\u0000b"])).toEqual(["a\u0000b"]);
    expect(interner.list(['["a","b"]'])).toEqual(['["a","b"]']);
    const one = summary(3, ["a@x.test"]);
    const other = summary(4, ["a@x.test"]);
    one.from = [{ name: "1:a", address: "b" }];
    other.from = [{ name: "1", address: ":ab" }];
    interner.compact(one);
    interner.compact(other);
    expect(other.from).toEqual([{ name: "1", address: ":ab" }]);
  });
});

describe("MessageIndex over shared summaries", () => {
  it("taking a message out of one inbox leaves another message with the same inboxes alone", () => {
    const index = new MessageIndex();
    const first = summary(1, ["a@x.test", "b@x.test"]);
    const second = summary(2, ["a@x.test", "b@x.test"]);
    index.add(first);
    index.add(second);
    index.removeFromInbox(first, "a@x.test");

    expect(first.inboxes).toEqual(["b@x.test"]);
    expect(second.inboxes).toEqual(["a@x.test", "b@x.test"]);
    expect(index.inboxMessages("a@x.test").map((s) => s.sequence)).toEqual([2]);
    expect(index.inboxMessages("b@x.test").map((s) => s.sequence)).toEqual([1, 2]);
  });
});
