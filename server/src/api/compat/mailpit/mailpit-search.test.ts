import { describe, expect, it } from "vitest";
import type { MessageSummary } from "../../../store/model.js";
import { parseMailpitDate } from "./mailpit-dates.js";
import {
  cleanString,
  MailpitQuery,
  type SearchFacts,
  sizeToBytes,
  splitArguments,
} from "./mailpit-search.js";

const RECEIVED = Date.UTC(2024, 5, 15, 12, 0, 0);

function candidate(summary: Partial<MessageSummary> = {}, facts: Partial<SearchFacts> = {}) {
  let loads = 0;
  return {
    summary: {
      from: [{ name: "Ada", address: "ada@example.test" }],
      to: [{ name: "Ann", address: "ann@example.test" }],
      cc: [],
      subject: "Your (new) account",
      messageId: "<abc-123@example.test>",
      read: false,
      size: 2048,
      receivedTime: RECEIVED,
      ...summary,
    } as MessageSummary,
    facts: async (): Promise<SearchFacts> => {
      loads += 1;
      return {
        bcc: [],
        replyTo: [],
        searchText: "hello world",
        attachments: 0,
        inlines: 0,
        tags: [],
        ...facts,
      };
    },
    get loads() {
      return loads;
    },
  };
}

const matches = (query: string, c = candidate(), timeZone?: string) =>
  MailpitQuery.parse(query, timeZone).matches(c);

describe("Mailpit's search syntax", () => {
  it("splits on spaces outside quotes and drops the quotes, as Go's ArgsParser", () => {
    expect(splitArguments('subject:"new account" to:ann  "a b"')).toEqual([
      "subject:new account",
      "to:ann",
      "a b",
    ]);
    expect(cleanString(' "Ann" <ann@x>,\tBob; (c) ')).toBe("ann ann@x bob c");
  });

  it("needs every term, negates with - or !, and ignores empty prefixes", async () => {
    expect(await matches("to:ann from:ada")).toBe(true);
    expect(await matches("to:ann from:bob")).toBe(false);
    expect(await matches("-from:bob !to:zed")).toBe(true);
    expect(await matches("to: subject:")).toBe(true);
    expect(await matches('subject:"(new)"')).toBe(true); // subject: is not cleaned
    expect(await matches("message-id:ABC-123")).toBe(true);
  });

  it("reads the message only for terms that need more than its summary", async () => {
    const c = candidate();
    expect(await matches("subject:nothing hello", c)).toBe(false);
    expect(c.loads).toBe(0);
    expect(await matches("subject:account hello", c)).toBe(true);
    expect(c.loads).toBe(1);
  });

  it("flags, sizes, dates and tags", async () => {
    expect(await matches("is:unread")).toBe(true);
    expect(await matches("is:read")).toBe(false);
    expect(await matches("larger:1kb smaller:3k")).toBe(true);
    expect(await matches("larger:2048")).toBe(false); // strictly larger
    // Mailpit negates `larger:n` to "size < n", not "size <= n": a message of exactly n bytes
    // matches neither `larger:n` nor `-larger:n`.
    expect(await matches("-larger:2048")).toBe(false);
    expect(await matches("-smaller:2048")).toBe(false);
    expect(await matches("-larger:4096")).toBe(true);
    expect(await matches("larger:huge")).toBe(false); // not a size: searched as text
    expect(await matches("after:2024-06-15 before:2024-06-16", candidate(), "UTC")).toBe(true);
    expect(await matches("after:2024-06-16", candidate(), "UTC")).toBe(false);
    expect(await matches("after:someday")).toBe(true); // an unreadable date drops the term
    expect(await matches("tag:Urgent", candidate({}, { tags: ["urgent"] }))).toBe(true);
    expect(await matches("is:tagged")).toBe(false);
    expect(await matches("has:attachment", candidate({}, { attachments: 1 }))).toBe(true);
  });

  it("sizes as Mailpit's sizeToBytes reads them", () => {
    expect([
      sizeToBytes("10"),
      sizeToBytes("2kb"),
      sizeToBytes("1.5m"),
      sizeToBytes("3 MB"),
      sizeToBytes("1g"),
    ]).toEqual([10, 2048, 1572864, 3145728, 0]);
  });
});

describe("Mailpit's dates", () => {
  it("reads a date without an offset in the tz zone, or as given with one", () => {
    expect(parseMailpitDate("2024-06-15", "UTC")).toBe(Date.UTC(2024, 5, 15));
    expect(parseMailpitDate("2024-06-15 14:30", "Europe/Berlin")).toBe(Date.UTC(2024, 5, 15, 12, 30));
    expect(parseMailpitDate("2024-01-15 14:30", "Europe/Berlin")).toBe(Date.UTC(2024, 0, 15, 13, 30));
    expect(parseMailpitDate("2024-06-15T14:30:00Z", "Asia/Tokyo")).toBe(Date.UTC(2024, 5, 15, 14, 30));
    expect(parseMailpitDate("2024-06-15T14:30:00+02:00")).toBe(Date.UTC(2024, 5, 15, 12, 30));
    expect(parseMailpitDate("Sat, 15 Jun 2024 14:30:00 +0000")).toBe(Date.UTC(2024, 5, 15, 14, 30));
    expect(parseMailpitDate("2024-06-15", "Not/AZone")).toBe(new Date(2024, 5, 15).getTime());
    expect(parseMailpitDate("yesterday")).toBeNull();
  });
});
