import { describe, expect, it } from "vitest";
import { Sequencer } from "./sequencer.js";

describe("Sequencer", () => {
  it("continues numbering after the persisted head", () => {
    const sequencer = new Sequencer(41);
    expect(sequencer.head).toBe(41);
    expect(sequencer.next()).toBe(42);
    expect(sequencer.next()).toBe(43);
  });

  it("holds back a finished message until every lower sequence is published", async () => {
    const sequencer = new Sequencer(0);
    const published: number[] = [];
    const first = sequencer.next();
    const second = sequencer.next();
    const secondDone = sequencer.settle(second, () => published.push(second));
    await Promise.resolve();
    expect(published).toEqual([]);
    expect(sequencer.head).toBe(0);

    await sequencer.settle(first, () => published.push(first));
    await secondDone;
    expect(published).toEqual([1, 2]);
    expect(sequencer.head).toBe(2);
  });

  it("lets an abandoned sequence through so later messages are not held up", async () => {
    const sequencer = new Sequencer(0);
    const failed = sequencer.next();
    const ok = sequencer.next();
    const published: number[] = [];
    const done = sequencer.settle(ok, () => published.push(ok));
    void sequencer.settle(failed, null);
    await done;
    expect(published).toEqual([2]);
    expect(sequencer.head).toBe(2);
  });
});
