import { describe, expect, it } from "vitest";
import { parseMailDate } from "./mail-date.js";

describe("parseMailDate", () => {
  it.each([
    ["Tue, 1 Jul 2025 10:00:00 +0200", "2025-07-01T08:00:00.000Z"],
    ["1 Jul 2025 10:00 -0130", "2025-07-01T11:30:00.000Z"],
    ["Mon, 02 Jun 2025 10:00:00 +0200 (CEST)", "2025-06-02T08:00:00.000Z"],
    ["Mon,2 Jun 2025 10:00:00 GMT", "2025-06-02T10:00:00.000Z"],
    ["Mon, 2 Jun 2025 10:00:00 EST", "2025-06-02T15:00:00.000Z"],
    ["Mon, 2 Jun 2025 10:00:00 PDT", "2025-06-02T17:00:00.000Z"],
    ["mon, 2 jun 2025 10:00:00 ut", "2025-06-02T10:00:00.000Z"],
    // Two- and three-digit years (RFC 5322 §4.3).
    ["2 Jun 25 10:00:00 +0000", "2025-06-02T10:00:00.000Z"],
    ["2 Jun 50 10:00:00 +0000", "1950-06-02T10:00:00.000Z"],
    ["2 Jun 125 10:00:00 +0000", "2025-06-02T10:00:00.000Z"],
    // Month before day, and asctime's order.
    ["Mon, Jun 2 2025 10:00:00 +0000", "2025-06-02T10:00:00.000Z"],
    ["Mon Jun  2 10:00:00 2025", "2025-06-02T10:00:00.000Z"],
    ["29 Feb 2024 23:59:60 +0000", "2024-02-29T23:59:59.000Z"],
    ["2025-06-02T10:00:00Z", "2025-06-02T10:00:00.000Z"],
    // RFC 850, date(1), and offsets written other ways.
    ["Monday, 02-Jun-25 10:00:00 GMT", "2025-06-02T10:00:00.000Z"],
    ["Monday, 02-Jun-2025 10:00:00 GMT", "2025-06-02T10:00:00.000Z"],
    ["Mon Jun  2 10:00:00 UTC 2025", "2025-06-02T10:00:00.000Z"],
    ["Mon, 2 Jun 2025 10:00:00 GMT+0200", "2025-06-02T08:00:00.000Z"],
    ["Mon, 2 Jun 2025 10:00:00 +02:00", "2025-06-02T08:00:00.000Z"],
    ["Mon, 2 Jun 2025 10:00:00 +0200 CEST", "2025-06-02T08:00:00.000Z"],
    ["2025-06-02T10:00:00.250+02:00", "2025-06-02T08:00:00.250Z"],
  ])("reads %j", (value, expected) => {
    expect(parseMailDate(value)).toBe(expected);
  });

  it("reads an unknown zone name, or none, as -0000 whatever the server's own zone", () => {
    // Date.parse read a date without a zone in the server's zone: 10:00Z here, 14:00Z in New York.
    expect(parseMailDate("Mon, 02 Jun 2025 10:00:00")).toBe("2025-06-02T10:00:00.000Z");
    expect(parseMailDate("Mon, 02 Jun 2025 10:00:00 CEST")).toBe("2025-06-02T10:00:00.000Z");
    expect(parseMailDate("Mon, 02 Jun 2025 10:00:00 J")).toBe("2025-06-02T10:00:00.000Z");
  });

  it.each([
    "Version 1",
    "foo 12",
    "someday",
    "",
    "Sat, 31 Feb 2025 10:00:00 +0000",
    "31 Apr 2025 10:00:00 +0000",
    "29 Feb 2025 10:00:00 +0000",
    "1 Jun 2025 24:00:00 +0000",
    "1 Jun 2025 10:60:00 +0000",
    "1 Jun 2025 10:00:00 +2500",
    "1 Jun 2025 10:00:00 +0075",
    "1 Jun 2025 10:00:00 +02",
    "1 Jun 2025 10:00:00 +0000 +0100",
    "1 Jun 2025 10:00:00 +0000 extra words",
    "Mon 2 Jun 10:00:00",
    "2 2 Jun 2025 10:00",
    "1 Foo 2025 10:00:00 +0000",
    "1 Jun 0099 10:00:00 +0000",
    "2025-02-30T10:00:00Z",
    "2025-06-02T10:00:00",
  ])("has no date for %j", (value) => {
    expect(parseMailDate(value)).toBeNull();
  });
});
