import { describe, expect, it } from "vitest";
import { DirectorySyncer } from "./directory-syncer.js";

function fakeHandle() {
  const pending: (() => void)[] = [];
  return {
    calls: 0,
    pending,
    sync() {
      this.calls += 1;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    async close() {},
    finishOne() {
      pending.shift()?.();
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("DirectorySyncer", () => {
  it("runs one fsync for a lone caller", async () => {
    const handle = fakeHandle();
    const syncer = new DirectorySyncer(handle);
    const done = syncer.sync();
    handle.finishOne();
    await done;
    expect(handle.calls).toBe(1);
  });

  it("makes callers that arrive during an fsync share one follow-up fsync", async () => {
    const handle = fakeHandle();
    const syncer = new DirectorySyncer(handle);
    const first = syncer.sync();
    let laterDone = 0;
    const later = Array.from({ length: 10 }, () => syncer.sync().then(() => laterDone++));
    expect(handle.calls).toBe(1);

    handle.finishOne();
    await first;
    await tick();
    // The later callers' renames may have missed the first fsync: they are not done yet.
    expect(laterDone).toBe(0);
    expect(handle.calls).toBe(2);

    handle.finishOne();
    await Promise.all(later);
    expect(laterDone).toBe(10);
    expect(handle.calls).toBe(2);
  });

  it("reports an fsync failure to the callers waiting on it", async () => {
    const syncer = new DirectorySyncer({
      sync: () => Promise.reject(new Error("EIO")),
      close: async () => {},
    });
    await expect(syncer.sync()).rejects.toThrow("EIO");
    await expect(syncer.sync()).rejects.toThrow("EIO");
  });
});
