import { describe, expect, it } from "vitest";
import { MESSAGE_ID_PATTERN } from "./model.js";
import { createMessageId, timeFromId } from "./ulid.js";

describe("createMessageId", () => {
  it("gives distinct, well-formed ids across many refills of its random pool", () => {
    // 1,000 ids take 16 bytes each from a 4,096-byte pool: it is refilled several times.
    const ids = Array.from({ length: 1000 }, () => createMessageId(1_764_633_600_000));
    for (const id of ids) expect(id).toMatch(MESSAGE_ID_PATTERN);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(10))).size).toBe(ids.length);
  });

  it("starts with the time, so ids sort by arrival", () => {
    const earlier = createMessageId(1_764_633_600_000);
    const later = createMessageId(1_764_633_600_001);
    expect(earlier < later).toBe(true);
    expect(timeFromId(later)).toBe(new Date(1_764_633_600_001).toISOString());
  });
});
