import { describe, expect, it } from "vitest";
import { DUPLICATE_WINDOW_MS, DuplicateWindow, type Fingerprint } from "./duplicate-window.js";
import type { MessageSummary } from "./model.js";

const T0 = Date.parse("2026-12-02T10:00:00Z");

function fingerprint(sha256: string, rcptTo: string[] = ["a@x.test"], mailFrom = "app@x.test"): Fingerprint {
  return { sha256, mailFrom, rcptTo };
}

describe("DuplicateWindow", () => {
  it("names the first copy when the same bytes come again to the same envelope within the window", () => {
    const window = new DuplicateWindow();
    expect(window.claim("m1", T0, fingerprint("aa"))).toBeNull();
    expect(window.claim("m2", T0 + 1000, fingerprint("aa"))).toBe("m1");
    expect(window.claim("m3", T0 + DUPLICATE_WINDOW_MS, fingerprint("aa"))).toBe("m1");
    expect(window.size).toBe(1);
  });

  it("tells envelopes apart: sender, recipients and their order all count", () => {
    const window = new DuplicateWindow();
    expect(window.claim("m1", T0, fingerprint("aa", ["a@x.test", "b@x.test"]))).toBeNull();
    expect(window.claim("m2", T0, fingerprint("aa", ["b@x.test", "a@x.test"]))).toBeNull();
    expect(window.claim("m3", T0, fingerprint("aa", ["a@x.test", "b@x.test"], "other@x.test"))).toBeNull();
    // "a\0b" as one recipient must not equal the two recipients a and b.
    expect(window.claim("m4", T0, fingerprint("aa", ["a@x.test\0b@x.test"]))).toBeNull();
    expect(window.claim("m5", T0, fingerprint("aa", ["b@x.test", "a@x.test"]))).toBe("m2");
    expect(window.claim("m6", T0, fingerprint("aa", ["a@x.test", "b@x.test"]))).toBe("m1");
    expect(window.claim("m7", T0, fingerprint("bb", ["a@x.test", "b@x.test"]))).toBeNull();
    expect(window.size).toBe(5);
  });

  it("past the window a copy is a new first copy, and later copies repeat that one", () => {
    const window = new DuplicateWindow();
    window.claim("m1", T0, fingerprint("aa"));
    const later = T0 + DUPLICATE_WINDOW_MS + 1;
    expect(window.claim("m2", later, fingerprint("aa"))).toBeNull();
    expect(window.claim("m3", later + 5, fingerprint("aa"))).toBe("m2");
    expect(window.size).toBe(1);
  });

  it("forgets entries as time passes, oldest first", () => {
    const window = new DuplicateWindow();
    for (let index = 0; index < 10; index += 1)
      window.claim(`m${index}`, T0 + index * 60_000, fingerprint(`sha${index}`));
    expect(window.size).toBe(10);
    // 12 minutes after the first: the first two are out of the window (the third is exactly 10 minutes old).
    window.claim("late", T0 + 12 * 60_000, fingerprint("other"));
    expect(window.size).toBe(9);
    expect(window.claim("again", T0 + 12 * 60_000, fingerprint("sha5"))).toBe("m5");
  });

  it("forget drops a claimed message whose commit failed, so its next copy is a first copy", () => {
    const window = new DuplicateWindow();
    window.claim("m1", T0, fingerprint("aa"));
    window.claim("m2", T0, fingerprint("aa", ["b@x.test"]));
    window.forget("m1");
    expect(window.size).toBe(1);
    expect(window.claim("m3", T0 + 1, fingerprint("aa"))).toBeNull();
    expect(window.claim("m4", T0 + 2, fingerprint("aa", ["b@x.test"]))).toBe("m2");
    expect(window.claim("m5", T0 + 3, fingerprint("aa"))).toBe("m3");
  });

  it("rebuilds from summaries at startup, skipping old messages and copies", () => {
    const summary = (id: string, sha256: string, receivedTime: number, duplicateOf: string | null = null) =>
      ({
        id,
        sha256,
        receivedTime,
        duplicateOf,
        mailFrom: "app@x.test",
        rcptTo: ["a@x.test"],
      }) as MessageSummary;
    const window = new DuplicateWindow();
    const now = T0 + DUPLICATE_WINDOW_MS + 1000;
    window.rebuild(
      [summary("old", "aa", T0), summary("m1", "bb", now - 5000), summary("m2", "bb", now - 4000, "m1")],
      now,
    );
    expect(window.size).toBe(1);
    expect(window.claim("n1", now, fingerprint("aa"))).toBeNull();
    expect(window.claim("n2", now, fingerprint("bb"))).toBe("m1");
  });

  it("keeps chains of one sha256 right while the front is pruned and the columns grow and move", () => {
    const window = new DuplicateWindow();
    const at = (second: number) => T0 + second * 1000;
    expect(window.claim("a1", at(0), fingerprint("zz", ["a@x.test"]))).toBeNull();
    for (let second = 1; second <= 3000; second += 1) {
      window.claim(`f${second}`, at(second), fingerprint(`s${second}`));
      // b1 joins the chain in front of a1; a1 is pruned from behind it (at 600 s), b1 at 900 s.
      if (second === 300) expect(window.claim("b1", at(300.5), fingerprint("zz", ["b@x.test"]))).toBeNull();
      if (second === 700) {
        expect(window.claim("b2", at(700.5), fingerprint("zz", ["b@x.test"]))).toBe("b1");
        expect(window.claim("a2", at(700.5), fingerprint("zz", ["a@x.test"]))).toBeNull();
        expect(window.claim("a3", at(700.6), fingerprint("zz", ["a@x.test"]))).toBe("a2");
      }
      // Every message of the last ten minutes is still found, whatever moved under it.
      if (second % 997 === 0)
        expect(window.claim(`again${second}`, at(second), fingerprint(`s${second - 599}`))).toBe(
          `f${second - 599}`,
        );
    }
    expect(window.claim("b3", at(3000), fingerprint("zz", ["b@x.test"]))).toBeNull();
    expect(window.size).toBe(602);
  });

  it("stays bounded over many arrivals: what left the window is forgotten", () => {
    const window = new DuplicateWindow();
    const step = 20; // ms between messages: 30,000 per window
    // The bytes repeat every 50,000 messages, 1,000 s apart: never within the window.
    for (let index = 0; index < 120_000; index += 1) {
      expect(window.claim(`m${index}`, T0 + index * step, fingerprint(`sha${index % 50_000}`))).toBeNull();
    }
    expect(window.size).toBe(DUPLICATE_WINDOW_MS / step + 1);
  });
});
