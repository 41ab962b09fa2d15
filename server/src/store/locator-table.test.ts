import { describe, expect, it } from "vitest";
import {
  ascendingIds,
  type Locator,
  type LocatorColumns,
  LocatorTable,
  mergeCaptured,
} from "./locator-table.js";

/** Ids of the message-id alphabet, in code-unit order by `n` (base 36, padded). */
const id = (n: number) => `01jz${n.toString(36).padStart(22, "0")}`;
const locator = (n: number, segment = 1 + (n % 3)): Locator => ({
  segment,
  offset: n * 100,
  frameLength: 90 + n,
  headerLength: 40,
  rawLength: 50 + n,
});

function columns(entries: Array<[string, Locator]>): LocatorColumns {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : 1));
  const ids = Buffer.from(sorted.map(([key]) => key).join(""), "latin1");
  const numbers = Float64Array.from(
    sorted.flatMap(([, l]) => [l.segment, l.offset, l.frameLength, l.headerLength, l.rawLength]),
  );
  return { ids, numbers };
}

/** A deterministic stream of numbers in [0, 1), so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * One random change to both the table and the reference Map, by `roll`: below 0.4 `id(n)` is placed
 * at `placed`, below 0.6 deleted; above, nothing (false), for the caller's other steps.
 */
function placeOrDelete(
  table: LocatorTable,
  reference: Map<string, Locator>,
  n: number,
  roll: number,
  placed: Locator,
): boolean {
  if (roll < 0.4) {
    table.set(id(n), placed);
    reference.set(id(n), placed);
  } else if (roll < 0.6) {
    table.delete(id(n));
    reference.delete(id(n));
  } else {
    return false;
  }
  return true;
}

describe("LocatorTable", () => {
  it("answers like a Map through any mix of placements and deletions over a loaded base", () => {
    const next = random(7);
    const reference = new Map<string, Locator>();
    for (let n = 0; n < 400; n += 2) reference.set(id(n), locator(n));
    const table = new LocatorTable(columns([...reference]));

    for (let step = 0; step < 2000; step += 1) {
      const n = Math.floor(next() * 500);
      placeOrDelete(table, reference, n, next(), locator(n + step, 4 + (step % 2)));
      expect(table.get(id(n))).toEqual(reference.get(id(n)));
      expect(table.has(id(n))).toBe(reference.has(id(n)));
    }
    expect(table.size).toBe(reference.size);
    expect(new Map(table.entries())).toEqual(reference);
    for (const segment of [1, 2, 3, 4, 5]) {
      const expected = [...reference].filter(([, l]) => l.segment === segment);
      expect(new Map(table.inSegment(segment))).toEqual(new Map(expected));
    }
    // Ids that are not message ids are simply absent.
    expect(table.has("")).toBe(false);
    expect(table.get(`${id(2)}x`)).toBeUndefined();
  });

  it("answers like a Map when captures are folded back in at any point, late, twice or out of order", () => {
    const next = random(11);
    const reference = new Map<string, Locator>();
    for (let n = 0; n < 300; n += 3) reference.set(id(n), locator(n));
    const table = new LocatorTable(columns([...reference]));
    const captures: ReturnType<LocatorTable["capture"]>[] = [];
    let folds = 0;

    for (let step = 0; step < 3000; step += 1) {
      const n = Math.floor(next() * 400);
      const roll = next();
      if (!placeOrDelete(table, reference, n, roll, locator(n + step, 4 + (step % 3)))) {
        if (roll < 0.63) {
          captures.push(table.capture());
        } else if (roll < 0.66 && captures.length > 0) {
          // Any capture still held, the last one or an older one (which must not fold).
          const index = Math.floor(next() * captures.length);
          const captured = captures[index]!;
          const isLast = index === captures.length - 1;
          expect(table.fold(mergeCaptured(captured), captured)).toBe(isLast);
          if (isLast) folds += 1;
          captures.splice(0, index + 1);
        }
      }
      expect(table.get(id(n))).toEqual(reference.get(id(n)));
      expect(table.has(id(n))).toBe(reference.has(id(n)));
      expect(table.size).toBe(reference.size);
    }
    expect(folds).toBeGreaterThan(10);
    expect(new Map(table.entries())).toEqual(reference);
    for (const segment of [1, 2, 3, 4, 5, 6]) {
      const expected = [...reference].filter(([, l]) => l.segment === segment);
      expect(new Map(table.inSegment(segment))).toEqual(new Map(expected));
    }
  });

  it("after a fold keeps in its Map only what changed since the capture", () => {
    const table = new LocatorTable(columns([0, 2, 4].map((n): [string, Locator] => [id(n), locator(n)])));
    for (let n = 10; n < 20; n += 1) table.set(id(n), locator(n));
    table.delete(id(2));
    const captured = table.capture();
    table.set(id(11), locator(111, 9));
    table.delete(id(12));
    table.delete(id(0));
    table.set(id(30), locator(30));
    expect(table.placedCount).toBe(10);

    expect(table.fold(mergeCaptured(captured), captured)).toBe(true);
    // id 11 (placed anew) and id 30 (new); the deleted 12 and 0 are stale rows, not entries.
    expect(table.placedCount).toBe(2);
    expect(table.get(id(11))).toEqual(locator(111, 9));
    expect(table.has(id(12))).toBe(false);
    expect(table.has(id(0))).toBe(false);
    expect(table.get(id(15))).toEqual(locator(15));
    expect(table.get(id(4))).toEqual(locator(4));
    expect(table.size).toBe(11);
    // The same capture cannot fold twice.
    expect(table.fold(mergeCaptured(captured), captured)).toBe(false);
  });

  it("does not fold a capture taken before segments were dropped", () => {
    const table = new LocatorTable(columns([0, 1, 2].map((n): [string, Locator] => [id(n), locator(n)])));
    const captured = table.capture();
    table.retainSegments((segment) => segment !== 2);
    expect(table.fold(mergeCaptured(captured), captured)).toBe(false);
    expect(table.has(id(1))).toBe(false);
    expect(table.size).toBe(2);
  });

  it("drops the base rows of segments that are gone, and only those", () => {
    const base = [0, 1, 2, 3, 4, 5].map((n): [string, Locator] => [id(n), locator(n)]);
    const table = new LocatorTable(columns(base));
    table.retainSegments((segment) => segment !== 2);
    expect([...table.keys()].sort()).toEqual(base.filter(([, l]) => l.segment !== 2).map(([key]) => key));
    expect(table.size).toBe(4);
    expect(table.get(id(1))).toBeUndefined();
  });

  it("captures a point in time that later changes leave alone, and merges it into sorted columns", () => {
    const table = new LocatorTable(columns([0, 2, 4, 6].map((n): [string, Locator] => [id(n), locator(n)])));
    table.set(id(5), locator(5));
    table.set(id(1), locator(1));
    table.set(id(2), locator(22, 7));
    table.delete(id(4));
    const captured = table.capture();
    const expected = new Map(table.entries());

    table.delete(id(0));
    table.set(id(9), locator(9));

    const merged = mergeCaptured(captured);
    expect(ascendingIds(merged.ids)).toBe(true);
    const reloaded = new LocatorTable(merged);
    expect(new Map(reloaded.entries())).toEqual(expected);
    expect([...reloaded.keys()]).toEqual([...expected.keys()].sort());
  });

  it("ascendingIds accepts whole ids in strictly ascending order and nothing else", () => {
    const of = (...ns: number[]) => Buffer.from(ns.map(id).join(""), "latin1");
    expect(ascendingIds(of())).toBe(true);
    expect(ascendingIds(of(1, 2, 40))).toBe(true);
    expect(ascendingIds(of(2, 1))).toBe(false);
    expect(ascendingIds(of(3, 3))).toBe(false);
    expect(ascendingIds(of(1).subarray(1))).toBe(false);
  });

  it("refuses to merge a placed id that is not a message id, rather than cut it into another", () => {
    const table = new LocatorTable();
    table.set(id(1), locator(1));
    table.set(`${id(2)}x`, locator(2));
    expect(() => mergeCaptured(table.capture())).toThrow(/not a message id/);
  });

  it("never hands out bytes of a loaded row that are not a message id (nothing may name a file with them)", () => {
    const odd = "01JZ../../../../etc/passwd".slice(0, 26);
    const table = new LocatorTable(
      columns([
        [odd, locator(1)],
        [id(2), locator(2)],
      ]),
    );
    expect([...table.keys()]).toEqual([id(2)]);
    expect(table.inSegment(locator(1).segment).map(([key]) => key)).not.toContain(odd);
    expect(table.get(id(2))).toEqual(locator(2));
  });
});
