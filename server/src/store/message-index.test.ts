import { describe, expect, it } from "vitest";
import { MessageIndex } from "./message-index.js";
import type { MessageSummary } from "./model.js";

function summary(sequence: number, inboxes: string[], read = false): MessageSummary {
  return {
    id: `01jz${String(sequence).padStart(22, "0")}`,
    sequence,
    inboxes,
    mailFrom: "app@example.test",
    rcptTo: inboxes,
    messageId: null,
    subject: `Message ${sequence}`,
    from: [],
    to: [],
    cc: [],
    date: null,
    receivedAt: new Date(Date.UTC(2026, 11, 4) + sequence).toISOString(),
    receivedTime: Date.UTC(2026, 11, 4) + sequence,
    duplicateOf: null,
    size: 100,
    sha256: "0".repeat(64),
    attachmentCount: 0,
    authUser: null,
    tls: false,
    read,
    snippet: "",
    parseError: null,
  };
}

const sequences = (list: readonly MessageSummary[]) => list.map((entry) => entry.sequence);

describe("MessageIndex unread count", () => {
  it("counts a message once however many inboxes list it, through reads, inbox clears and removals", () => {
    const index = new MessageIndex();
    const shared = summary(1, ["a@x.test", "b@x.test", "c@x.test"]);
    index.add(shared);
    index.add(summary(2, ["a@x.test"]));
    index.add(summary(3, ["b@x.test"], true));
    expect(index.unreadCount).toBe(2);
    expect(index.inboxes().reduce((sum, inbox) => sum + inbox.unreadCount, 0)).toBe(4);

    index.removeFromInbox(shared, "c@x.test");
    expect(index.unreadCount).toBe(2);
    index.setRead(shared, true);
    expect(index.unreadCount).toBe(1);
    expect(index.setRead(shared, true)).toBe(false);
    expect(index.unreadCount).toBe(1);
    index.setRead(shared, false);
    index.remove(shared.id);
    expect(index.unreadCount).toBe(1);
    index.remove(summary(3, []).id);
    expect(index.unreadCount).toBe(1);
    index.remove(summary(2, []).id);
    expect(index.unreadCount).toBe(0);
  });
});

describe("MessageIndex removal", () => {
  it("takes out the oldest, one in the middle and the newest, keeping every view in order and the unread counts right", () => {
    const index = new MessageIndex();
    for (let sequence = 1; sequence <= 6; sequence += 1) {
      index.add(summary(sequence, sequence % 2 === 0 ? ["even@x.test"] : ["odd@x.test"], sequence === 4));
    }

    // The oldest (as retention and the `--max-messages` cap remove), then the middle, then the newest.
    const removed = [1, 4, 6].map((sequence) => index.remove(summary(sequence, []).id)?.sequence);

    expect(removed).toEqual([1, 4, 6]);
    expect(sequences(index.all())).toEqual([2, 3, 5]);
    expect(sequences(index.inboxMessages("even@x.test"))).toEqual([2]);
    expect(sequences(index.inboxMessages("odd@x.test"))).toEqual([3, 5]);
    expect(index.inbox("even@x.test")).toMatchObject({ messageCount: 1, unreadCount: 1 });
    expect(index.inbox("odd@x.test")).toMatchObject({ messageCount: 2, unreadCount: 2 });
    expect(index.oldest()?.sequence).toBe(2);
    expect(index.remove(summary(1, []).id)).toBeNull();
  });

  it("a full store that drops its oldest for every new message stays in sequence order", () => {
    const index = new MessageIndex();
    for (let sequence = 1; sequence <= 1_000; sequence += 1) {
      index.add(summary(sequence, ["cap@x.test"]));
      if (index.count > 100) index.remove(index.oldest()!.id);
    }

    expect(index.count).toBe(100);
    expect(sequences(index.all())).toEqual(Array.from({ length: 100 }, (_, i) => 901 + i));
    expect(sequences(index.inboxMessages("cap@x.test"))).toEqual(sequences(index.all()));
    expect(index.range(950, 953).map((entry) => entry.sequence)).toEqual([950, 951, 952]);
  });
});
