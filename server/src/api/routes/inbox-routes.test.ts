import { describe, expect, it } from "vitest";
import type { InboxInfo } from "../../store/message-store.js";
import { ApiHarness, inboxPath } from "../../test-support/api-harness.js";
import { useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();
type Created = InboxInfo & { head: number };
type ErrorBody = { error: { code: string; message: string; parameter?: string } };

describe("inbox routes", () => {
  it("lists every recipient's inbox with counts, most recently active first", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "one" });
    await api.send({ to: "bob@example.test", subject: "two" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api.send({ to: ["ann@example.test", "cid@example.test"], subject: "three" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api.send({ to: "dan@example.test", subject: "four" });

    const { status, body } = await api.json<{ inboxes: InboxInfo[] }>("/api/inboxes");
    expect(status).toBe(200);
    const order = body.inboxes.map((i) => i.address);
    expect(order[0]).toBe("dan@example.test");
    // ann and cid got "three" at the same instant; bob's last mail is older than both.
    expect(order.slice(1, 3).sort()).toEqual(["ann@example.test", "cid@example.test"]);
    expect(order[3]).toBe("bob@example.test");
    const ann = body.inboxes.find((i) => i.address === "ann@example.test");
    expect(ann).toMatchObject({ messageCount: 2, unreadCount: 2, expiresAt: null });
    expect(ann?.lastReceivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("creates inboxes with unique random addresses on the configured domain", async () => {
    const api = await ApiHarness.start(cleanup, { domain: "sandbox.test" });
    await api.send({ to: "someone@example.test", subject: "before" });
    const created = await Promise.all(
      Array.from({ length: 30 }, () => api.json<Created>("/api/inboxes", { method: "POST" })),
    );
    for (const { status, body } of created) {
      expect(status).toBe(201);
      expect(body.address).toMatch(/^t-[a-z2-9]{8}@sandbox\.test$/);
      expect(body).toMatchObject({
        messageCount: 0,
        unreadCount: 0,
        lastReceivedAt: null,
        expiresAt: null,
        head: 1,
      });
    }
    expect(new Set(created.map((c) => c.body.address)).size).toBe(30);
    // Listed before any mail arrives.
    const { body: list } = await api.json<{ inboxes: InboxInfo[] }>("/api/inboxes");
    expect(list.inboxes).toHaveLength(31);
  });

  it("creates an inbox with a prefix, a domain and a TTL (normalized, with expiresAt)", async () => {
    const api = await ApiHarness.start(cleanup);
    const before = Date.now();
    const { status, body } = await api.json<Created>("/api/inboxes", {
      method: "POST",
      body: { prefix: "Signup.Flow", domain: "Other.Example", ttl: 60_000 },
    });
    expect(status).toBe(201);
    expect(body.address).toMatch(/^signup\.flow-[a-z2-9]{8}@other\.example$/);
    const expires = Date.parse(body.expiresAt ?? "");
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThan(before + 120_000);
    // Mail to it lands in it.
    await api.send({ to: body.address.toUpperCase(), subject: "hello" });
    const { body: inbox } = await api.json<InboxInfo>(inboxPath(body.address));
    expect(inbox.messageCount).toBe(1);
  });

  it.each([
    [{ prefix: "" }, "prefix"],
    [{ prefix: "has space" }, "prefix"],
    [{ prefix: "-dash" }, "prefix"],
    [{ prefix: 12 }, "prefix"],
    [{ domain: "bad_domain!" }, "domain"],
    [{ ttl: 0 }, "ttl"],
    [{ ttl: 1.5 }, "ttl"],
    [{ ttl: "60000" }, "ttl"],
    [{ color: "blue" }, "color"],
    [[1, 2], "body"],
  ])("refuses the create body %j naming %s", async (body, parameter) => {
    const api = await ApiHarness.start(cleanup);
    const response = await api.json<ErrorBody>("/api/inboxes", { method: "POST", body });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_parameter", parameter });
  });

  it("answers malformed JSON with 400, a non-JSON body with 415 and a body over 1 MiB with 413", async () => {
    const api = await ApiHarness.start(cleanup);
    const post = (body: string, type: string) =>
      api.fetch("/api/inboxes", { method: "POST", headers: { "content-type": type }, body });

    const malformed = await post('{"prefix":', "application/json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_json" } });

    const form = await post("prefix=x", "application/x-www-form-urlencoded");
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ error: { code: "unsupported_media_type" } });

    const huge = await post(JSON.stringify({ prefix: "x".repeat(1024 * 1024) }), "application/json");
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect((await api.json<{ inboxes: unknown[] }>("/api/inboxes")).body.inboxes).toEqual([]);
  });

  it("answers bodies it cannot read with 4xx, never 500: undecodable gzip, an unknown encoding, deep nesting", async () => {
    const api = await ApiHarness.start(cleanup);
    const post = (body: string | Buffer, headers: Record<string, string>) =>
      api.fetch("/api/inboxes", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });

    const gzip = await post(Buffer.from("not gzip at all"), { "content-encoding": "gzip" });
    expect(gzip.status).toBe(400);
    expect(await gzip.json()).toMatchObject({
      error: { code: "invalid_json", message: expect.stringMatching(/decompress/) },
    });

    const bogus = await post("{}", { "content-encoding": "bogus" });
    expect(bogus.status).toBe(415);
    expect(await bogus.json()).toMatchObject({
      error: { message: expect.stringMatching(/Content-Encoding/) },
    });

    // 100,000 levels: the error naming the field must not overflow the stack quoting the value.
    const nested = `{"prefix":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`;
    const deep = await post(nested, {});
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: "invalid_parameter", parameter: "prefix" } });
    expect((await api.json<{ inboxes: unknown[] }>("/api/inboxes")).body.inboxes).toEqual([]);
  });

  it("gets one inbox by any spelling of its address, 404 for one never seen, 400 for a non-address", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "one" });

    const found = await api.json<InboxInfo>(inboxPath("  <Ann@EXAMPLE.test>"));
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ address: "ann@example.test", messageCount: 1 });

    const missing = await api.json<ErrorBody>(inboxPath("nobody@example.test"));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");

    const bad = await api.json<ErrorBody>(inboxPath("not-an-address"));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_parameter", parameter: "address" });
  });

  it("clears an inbox; a message also listed elsewhere stays there", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: ["ann@example.test", "bob@example.test"], subject: "shared" });
    await api.send({ to: "ann@example.test", subject: "ann only" });

    const cleared = await api.json<{ deleted: number }>(inboxPath("ann@example.test", "/messages"), {
      method: "DELETE",
    });
    expect(cleared).toMatchObject({ status: 200, body: { deleted: 2 } });
    const ann = await api.json<{ messages: unknown[] }>(inboxPath("ann@example.test", "/messages"));
    expect(ann.body.messages).toEqual([]);
    const bob = await api.json<{ messages: { subject: string }[] }>(
      inboxPath("bob@example.test", "/messages"),
    );
    expect(bob.body.messages.map((m) => m.subject)).toEqual(["shared"]);

    const never = await api.json(inboxPath("never@example.test", "/messages"), { method: "DELETE" });
    expect(never).toMatchObject({ status: 200, body: { deleted: 0 } });
  });

  it("marks an inbox read and unread", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "one" });
    await api.send({ to: "ann@example.test", subject: "two" });

    const read = await api.json(inboxPath("ann@example.test", "/read"), { method: "POST" });
    expect(read).toMatchObject({ status: 200, body: { updated: 2 } });
    expect((await api.json<InboxInfo>(inboxPath("ann@example.test"))).body.unreadCount).toBe(0);

    const unread = await api.json(inboxPath("ann@example.test", "/read"), {
      method: "POST",
      body: { read: false },
    });
    expect(unread).toMatchObject({ status: 200, body: { updated: 2 } });
    expect((await api.json<InboxInfo>(inboxPath("ann@example.test"))).body.unreadCount).toBe(2);

    const bad = await api.json<ErrorBody>(inboxPath("ann@example.test", "/read"), {
      method: "POST",
      body: { read: "yes" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.parameter).toBe("read");
  });

  it("deletes an inbox: 204, then it is gone (404), and deleting it again is 404", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "one" });

    expect((await api.fetch(inboxPath("ann@example.test"), { method: "DELETE" })).status).toBe(204);
    expect((await api.fetch(inboxPath("ann@example.test"))).status).toBe(404);
    const again = await api.json<ErrorBody>(inboxPath("ann@example.test"), { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
    expect((await api.json<{ messages: unknown[] }>("/api/messages")).body.messages).toEqual([]);
  });
});
