import { describe, expect, it } from "vitest";
import { MAX_RECONNECT_DELAY_SECONDS, reconnectDelaySeconds } from "./connect.js";

describe("the pause between attempts to reach the database", () => {
  it("starts at tens of milliseconds, doubles, and never passes half a second, jitter included", () => {
    const lowest = (retries: number) => reconnectDelaySeconds(retries, () => 0);
    const highest = (retries: number) => reconnectDelaySeconds(retries, () => 1);
    expect(highest(1)).toBeCloseTo(0.05);
    expect(lowest(1)).toBeCloseTo(0.025);
    expect(highest(2)).toBeCloseTo(0.1);
    for (let retries = 0; retries <= 1_000; retries++) {
      expect(highest(retries)).toBeLessThanOrEqual(MAX_RECONNECT_DELAY_SECONDS);
      expect(lowest(retries)).toBeGreaterThan(0);
    }
    // Where postgres.js's default would wait 10–20 s.
    expect(highest(12)).toBe(MAX_RECONNECT_DELAY_SECONDS);
  });
});
