import { describe, expect, it, vi } from "vitest";
import type { StoredMessage } from "../../store/model.js";
import { ApiHarness, inboxPath } from "../../test-support/api-harness.js";
import { useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

interface WaitBody {
  messages: StoredMessage[];
  head: number;
}
interface TimeoutBody {
  error: {
    code: string;
    message: string;
    matched: number;
    inboxCount: number;
    recent: { id: string; sequence: number; subject: string; from: string; receivedAt: string }[];
    head: number;
  };
}

/** Resolves once the server holds `n` open waits: the requests are registered, not just sent. */
async function waitersOpen(api: ApiHarness, n: number): Promise<void> {
  await vi.waitFor(() => expect(api.http.waits.size).toBe(n), { timeout: 10_000, interval: 5 });
}

describe("waiting for mail", () => {
  it("answers at once with a message that arrived before the wait", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({ to: "ann@example.test", subject: "Welcome", text: "your code is 4711" });

    const { status, body } = await api.json<WaitBody>(inboxPath("ann@example.test", "/wait?timeout=5000"));
    expect(status).toBe(200);
    expect(body.messages).toHaveLength(1);
    // Full messages, not summaries.
    expect(body.messages[0]).toMatchObject({ id, subject: "Welcome", text: expect.stringContaining("4711") });
    expect(body.head).toBe(body.messages[0]?.sequence);
  });

  it("with since, ignores older mail and answers with the first message after it", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "old" });
    const { body: inbox } = await api.json<{ head: number }>("/api/inboxes", { method: "POST" });
    await api.send({ to: "ann@example.test", subject: "new" });
    await api.send({ to: "ann@example.test", subject: "newer" });

    const first = await api.json<WaitBody>(
      inboxPath("ann@example.test", `/wait?since=${inbox.head}&timeout=5000`),
    );
    expect(first.body.messages.map((m) => m.subject)).toEqual(["new"]);
    // `head` is the cursor after what was returned: nothing is skipped.
    const second = await api.json<WaitBody>(
      inboxPath("ann@example.test", `/wait?since=${first.body.head}&timeout=5000`),
    );
    expect(second.body.messages.map((m) => m.subject)).toEqual(["newer"]);
    const third = await api.json<TimeoutBody>(
      inboxPath("ann@example.test", `/wait?since=${second.body.head}&timeout=0`),
    );
    expect(third.status).toBe(408);
  });

  it("answers when the message arrives during the wait", async () => {
    const api = await ApiHarness.start(cleanup);
    const pending = api.json<WaitBody>(inboxPath("ann@example.test", "/wait?timeout=10000&subject=reset"));
    await waitersOpen(api, 1);
    await api.send({ to: "ann@example.test", subject: "Welcome" });
    await api.send({ to: "bob@example.test", subject: "Password reset" });
    const id = await api.send({ to: "Ann@Example.test", subject: "Password reset" });

    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.messages.map((m) => m.id)).toEqual([id]);
    expect(api.http.waits.size).toBe(0);
  });

  it("times out with 408 wait_timeout saying what the inbox does hold", async () => {
    const api = await ApiHarness.start(cleanup);
    for (const subject of ["s1", "s2", "s3", "s4", "s5", "s6"]) {
      await api.send({ from: '"Shop" <shop@example.test>', to: "ann@example.test", subject });
    }
    await api.send({ to: "bob@example.test", subject: "not ann's" });

    const { status, body } = await api.json<TimeoutBody>(
      inboxPath("ann@example.test", "/wait?subject=Welcome&timeout=50"),
    );
    expect(status).toBe(408);
    expect(body.error).toMatchObject({ code: "wait_timeout", matched: 0, inboxCount: 6, head: 7 });
    expect(body.error.recent.map((m) => m.subject)).toEqual(["s6", "s5", "s4", "s3", "s2"]);
    expect(body.error.recent[0]).toMatchObject({ sequence: 6, from: "Shop <shop@example.test>" });
    expect(body.error.recent[0]?.receivedAt).toMatch(/^\d{4}-/);
    expect(body.error.message).toContain('Timed out after 50 ms waiting for 1 message to "ann@example.test"');
    expect(body.error.message).toContain('subject "Welcome"');
    expect(body.error.message).toContain('"s6"');
    expect(api.http.waits.size).toBe(0);
  });

  it("counts partial matches in the timeout and caps the timeout at the server's max wait", async () => {
    const api = await ApiHarness.start(cleanup, { maxWaitMs: 100 });
    await api.send({ to: "ann@example.test", subject: "one" });
    const started = Date.now();
    const { status, body } = await api.json<TimeoutBody>(
      inboxPath("ann@example.test", "/wait?count=2&timeout=60000"),
    );
    expect(status).toBe(408);
    expect(body.error).toMatchObject({ matched: 1, inboxCount: 1 });
    expect(body.error.message).toContain("after 100 ms");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("waits for count=3 while messages trickle in, and returns exactly three, oldest first", async () => {
    const api = await ApiHarness.start(cleanup);
    const pending = api.json<WaitBody>(inboxPath("ann@example.test", "/wait?count=3&timeout=10000"));
    await waitersOpen(api, 1);
    const ids: string[] = [];
    for (const subject of ["first", "second", "third", "fourth"]) {
      ids.push(await api.send({ to: "ann@example.test", subject }));
    }
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.messages.map((m) => m.id)).toEqual(ids.slice(0, 3));
    expect(body.head).toBe(body.messages[2]?.sequence);
  });

  it("with limit, answers with every match already there up to limit, then waits for the next one", async () => {
    const api = await ApiHarness.start(cleanup);
    for (const subject of ["m1", "m2", "m3", "m4", "m5"]) await api.send({ to: "ann@example.test", subject });

    const first = await api.json<WaitBody>(inboxPath("ann@example.test", "/wait?limit=3&timeout=5000"));
    expect(first.body.messages.map((m) => m.subject)).toEqual(["m1", "m2", "m3"]);
    expect(first.body.head).toBe(first.body.messages[2]?.sequence);
    const second = await api.json<WaitBody>(
      inboxPath("ann@example.test", `/wait?since=${first.body.head}&limit=3&timeout=5000`),
    );
    expect(second.body.messages.map((m) => m.subject)).toEqual(["m4", "m5"]);

    // Nothing left: the page becomes a long-poll, answered by the next arrival alone.
    const pending = api.json<WaitBody>(
      inboxPath("ann@example.test", `/wait?since=${second.body.head}&limit=3&timeout=10000`),
    );
    await waitersOpen(api, 1);
    await api.send({ to: "ann@example.test", subject: "m6" });
    expect((await pending).body.messages.map((m) => m.subject)).toEqual(["m6"]);
  });

  it("gives 200 concurrent waiters on different inboxes exactly their own message", async () => {
    const api = await ApiHarness.start(cleanup);
    const addresses = Array.from({ length: 200 }, (_, i) => `user${i}@example.test`);
    const pending = addresses.map((address) =>
      api
        .json<WaitBody>(inboxPath(address, "/wait?timeout=25000"))
        .then((response) => ({ address, response })),
    );
    await waitersOpen(api, 200);
    const sent = new Map<string, string>();
    await Promise.all(
      addresses.map(async (address) =>
        sent.set(address, await api.send({ to: address, subject: `for ${address}` })),
      ),
    );
    for (const { address, response } of await Promise.all(pending)) {
      expect(response.status).toBe(200);
      expect(response.body.messages.map((m) => [m.id, m.inboxes])).toEqual([[sent.get(address), [address]]]);
    }
    expect(api.http.waits.size).toBe(0);
  });

  it("frees the waiter as soon as the client disconnects", async () => {
    const api = await ApiHarness.start(cleanup);
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const requests = controllers.map((controller, i) =>
      api
        .fetch(inboxPath(`gone${i}@example.test`, "/wait?timeout=30000"), { signal: controller.signal })
        .catch((error: unknown) => error),
    );
    await waitersOpen(api, 5);
    for (const controller of controllers) controller.abort();
    await Promise.all(requests);
    await waitersOpen(api, 0);
    // The server is fine afterwards and the abandoned inboxes can still be waited on.
    await api.send({ to: "gone0@example.test", subject: "late" });
    const { status } = await api.json(inboxPath("gone0@example.test", "/wait?timeout=1000"));
    expect(status).toBe(200);
  });

  it("waits across all inboxes, narrowed by to and other filters", async () => {
    const api = await ApiHarness.start(cleanup);
    const pending = api.json<WaitBody>("/api/wait?to=signup-&hasAttachment=true&timeout=10000");
    await waitersOpen(api, 1);
    await api.send({ to: "signup-1@example.test", subject: "no attachment" });
    await api.send({ to: "other@example.test", subject: "wrong inbox", attachments: [{ content: "x" }] });
    const id = await api.send({
      to: "signup-2@example.test",
      subject: "match",
      attachments: [{ content: "x" }],
    });
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.messages.map((m) => m.id)).toEqual([id]);

    const timeout = await api.json<TimeoutBody>("/api/wait?to=nobody&timeout=0");
    expect(timeout.status).toBe(408);
    expect(timeout.body.error).toMatchObject({ matched: 0, inboxCount: 3, recent: [] });
  });

  it("matches a text filter against the body of a message that arrives during the wait", async () => {
    const api = await ApiHarness.start(cleanup);
    const pending = api.json<WaitBody>(
      inboxPath("ann@example.test", "/wait?text=magic%20link&timeout=10000"),
    );
    await waitersOpen(api, 1);
    await api.send({ to: "ann@example.test", subject: "a", text: "nothing here" });
    const id = await api.send({
      to: "ann@example.test",
      subject: "b",
      html: "<p>Your <b>magic link</b></p>",
    });
    expect((await pending).body.messages.map((m) => m.id)).toEqual([id]);
  });

  it.each([
    ["count=0", "count"],
    ["count=101", "count"],
    ["timeout=-5", "timeout"],
    ["timeout=soon", "timeout"],
    // `limit` is at least `count` (else it could not carry the answer) and at most 500.
    ["count=3&limit=2", "limit"],
    ["limit=501", "limit"],
  ])("refuses ?%s naming %s", async (query, parameter) => {
    const api = await ApiHarness.start(cleanup);
    const { status, body } = await api.json<{ error: { parameter: string } }>(
      inboxPath("ann@example.test", `/wait?${query}`),
    );
    expect(status).toBe(400);
    expect(body.error.parameter).toBe(parameter);
    expect(api.http.waits.size).toBe(0);
  });

  it("answers open waits with 503 when the server shuts down", async () => {
    const api = await ApiHarness.start(cleanup);
    const pending = api.json<{ error: { code: string } }>(
      inboxPath("ann@example.test", "/wait?timeout=30000"),
    );
    await waitersOpen(api, 1);
    await api.http.close();
    const { status, body } = await pending;
    expect(status).toBe(503);
    expect(body.error.code).toBe("shutting_down");
  });
});
