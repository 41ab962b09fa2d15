import nodemailer from "nodemailer";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Sandbox } from "../sandbox.js";
import type { MessageFilter } from "../store/message-store.js";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";
import { WaitAbortedError, WaitClosedError } from "./wait-errors.js";
import { loadMatches, WaitRegistry } from "./wait-registry.js";

const cleanup = useCleanup();
const kit = createStoreKit();
afterEach(() => kit.cleanup());

async function setup(): Promise<{
  sandbox: Sandbox;
  waits: WaitRegistry;
  send: (to: string, subject: string) => Promise<void>;
}> {
  const sandbox = await startTestSandbox(cleanup, { dataDir: null });
  const waits = new WaitRegistry(sandbox.store, sandbox.bus);
  cleanup(() => waits.close());
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: sandbox.smtpPort, secure: false });
  cleanup(() => transport.close());
  const send = async (to: string, subject: string) => {
    await transport.sendMail({ from: "app@example.test", to, subject, text: subject });
  };
  return { sandbox, waits, send };
}

function waitFor(
  waits: WaitRegistry,
  filter: MessageFilter,
  options: { count?: number; limit?: number; timeoutMs?: number; signal?: AbortSignal } = {},
) {
  return waits.wait({
    filter,
    count: options.count ?? 1,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    timeoutMs: options.timeoutMs ?? 10_000,
    signal: options.signal ?? new AbortController().signal,
  });
}

/**
 * Sends "raced" to ann right after the store's first list page is read: only the bus listener can
 * see it. Returns whether that happened.
 */
function sendDuringFirstLook(sandbox: Sandbox, send: (to: string, subject: string) => Promise<void>) {
  const list = sandbox.store.list.bind(sandbox.store);
  let sent = false;
  vi.spyOn(sandbox.store, "list").mockImplementation(async (query) => {
    const page = await list(query);
    if (!sent) {
      sent = true;
      await send("ann@example.test", "raced");
    }
    return page;
  });
  return () => sent;
}

describe("WaitRegistry", () => {
  it("loses no wake-up when a message is stored while it looks at what the store holds", async () => {
    const { sandbox, waits, send } = await setup();
    const sentDuringLook = sendDuringFirstLook(sandbox, send);
    const result = await waitFor(waits, { inbox: "ann@example.test" });
    expect(sentDuringLook()).toBe(true);
    expect(result.matches.map((m) => m.subject)).toEqual(["raced"]);
    expect(waits.size).toBe(0);
  });

  it("checks a new message only against waiters of its inboxes and all-inbox waiters", async () => {
    const { sandbox, waits, send } = await setup();
    const idle = new AbortController();
    const others = Array.from({ length: 500 }, (_, i) =>
      waitFor(waits, { inbox: `idle${i}@example.test` }, { signal: idle.signal }).catch(
        (error: unknown) => error,
      ),
    );
    const target = waitFor(waits, { inbox: "ann@example.test", subject: "hello" });
    const everywhere = waitFor(waits, { to: "ann@" });
    await vi.waitFor(() => expect(waits.size).toBe(502));
    const matches = vi.spyOn(sandbox.store, "matches");

    await send("ann@example.test", "hello");
    expect((await target).matches).toHaveLength(1);
    expect((await everywhere).matches).toHaveLength(1);
    // One check for the inbox's waiter, one for the all-inbox waiter; the 500 idle ones cost nothing.
    expect(matches).toHaveBeenCalledTimes(2);

    idle.abort();
    for (const outcome of await Promise.all(others)) expect(outcome).toBeInstanceOf(WaitAbortedError);
    expect(waits.size).toBe(0);
  });

  it("answers with the first count matches after since, oldest first, even when more arrived", async () => {
    const { waits, send } = await setup();
    for (const subject of ["m1", "m2", "m3", "m4", "m5"]) await send("ann@example.test", subject);
    const result = await waitFor(waits, { inbox: "ann@example.test", since: 1 }, { count: 2 });
    expect(result.matches.map((m) => m.subject)).toEqual(["m2", "m3"]);
    expect(result.head).toBe(3);
  });

  it("with a limit, answers with the matches the look found, and one stored during the look comes next", async () => {
    const { sandbox, waits, send } = await setup();
    for (const subject of ["m1", "m2", "m3"]) await send("ann@example.test", subject);
    const sentDuringLook = sendDuringFirstLook(sandbox, send);
    const page = await waitFor(waits, { inbox: "ann@example.test", since: 0 }, { limit: 10 });
    expect(sentDuringLook()).toBe(true);
    // A page without a gap: the raced message is not mixed in ahead of anything older.
    expect(page.matches.map((m) => m.subject)).toEqual(["m1", "m2", "m3"]);
    const next = await waitFor(waits, { inbox: "ann@example.test", since: page.head }, { limit: 10 });
    expect(next.matches.map((m) => m.subject)).toEqual(["raced"]);
  });

  it("answers with the rest of a page at once when one of it was deleted after it matched", async () => {
    const { sandbox, waits, send } = await setup();
    for (const subject of ["m1", "m2", "m3"]) await send("ann@example.test", subject);
    const { messages } = await sandbox.store.list({ inbox: "ann@example.test", limit: 10 });
    const deleted = messages.find((m) => m.subject === "m2")!.id;
    const summary = sandbox.store.summary.bind(sandbox.store);
    // As if m2 were deleted between the look and the answer.
    vi.spyOn(sandbox.store, "summary").mockImplementation((id) => (id === deleted ? null : summary(id)));
    const page = await waitFor(
      waits,
      { inbox: "ann@example.test", since: 0 },
      { limit: 10, timeoutMs: 5_000 },
    );
    expect(page.matches.map((m) => m.subject)).toEqual(["m1", "m3"]);
  });

  it("with a limit, stops adding matches beyond count once their raw bytes would pass the page budget", async () => {
    const { sandbox, send } = await setup();
    for (const subject of ["m1", "m2", "m3", "m4"]) await send("ann@example.test", subject);
    const size = sandbox.store
      .list({ inbox: "ann@example.test", limit: 1 })
      .then((page) => page.messages[0]!.size);
    // Room for two messages of this size, not three.
    const waits = new WaitRegistry(sandbox.store, sandbox.bus, { pageBytes: 2 * (await size) + 10 });
    cleanup(() => waits.close());
    const page = await waitFor(waits, { inbox: "ann@example.test", since: 0 }, { limit: 10 });
    expect(page.matches.map((m) => m.subject)).toEqual(["m1", "m2"]);
    // `count` is always carried, whatever it weighs.
    const counted = await waitFor(waits, { inbox: "ann@example.test", since: 0 }, { count: 3, limit: 10 });
    expect(counted.matches.map((m) => m.subject)).toEqual(["m1", "m2", "m3"]);
  });

  it("rejects new waits and answers open ones once closed", async () => {
    const { waits } = await setup();
    const open = waitFor(waits, { inbox: "ann@example.test" }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(waits.size).toBe(1));
    waits.close();
    expect(await open).toBeInstanceOf(WaitClosedError);
    await expect(waitFor(waits, {})).rejects.toBeInstanceOf(WaitClosedError);
    expect(waits.size).toBe(0);
  });

  it("answers with a message stored a moment ago without reading it back from storage", async () => {
    const { store, bus, counts } = await kit.openCounting();
    const waits = new WaitRegistry(store, bus);
    cleanup(() => waits.close());
    const to = "ann@mailnest.test";
    const answer = waitFor(waits, { inbox: to, text: "4711" });
    await vi.waitFor(() => expect(waits.size).toBe(1));
    await ingestBuffer(store, testMessage({ to, text: "your code is 4711" }), testEnvelope({ rcptTo: [to] }));

    const loaded = [];
    for await (const message of loadMatches(store, (await answer).matches)) loaded.push(message?.visibleText);
    expect(loaded).toEqual([expect.stringContaining("4711")]);
    expect(counts.sidecarReads).toBe(0);
  });

  it("answers without loading whole messages, which the answer's writer loads one at a time", async () => {
    // A wait for 100 messages of 20 MB held all of them in memory before the first byte was written.
    const { sandbox, waits, send } = await setup();
    for (const subject of ["m1", "m2", "m3"]) await send("ann@example.test", subject);
    const get = vi.spyOn(sandbox.store, "get");

    const { matches } = await waitFor(waits, { inbox: "ann@example.test" }, { count: 3 });
    expect(get).not.toHaveBeenCalled();

    const loads = loadMatches(sandbox.store, matches);
    expect((await loads.next()).value?.subject).toBe("m1");
    expect(get).toHaveBeenCalledTimes(1);
    // One deleted after the wait answered is left out by the writer (a null), not fetched as damaged.
    await sandbox.store.deleteMessage(matches[1]!.id);
    expect((await loads.next()).value).toBeNull();
    expect((await loads.next()).value?.subject).toBe("m3");
    expect((await loads.next()).done).toBe(true);
  });
});
