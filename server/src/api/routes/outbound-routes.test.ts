import type {
  ErrorBody,
  RelayRule,
  RelayStatus,
  Release,
  ReleaseList,
  StoredMessage,
} from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../../test-support/fetch-json.js";
import { readAll, startTestSandbox, useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

describe("POST /api/send", () => {
  it("stores the message (201) with attachments beyond the 1 MiB body limit of other routes", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const bytes = Buffer.alloc(1_500_000, 7);
    const sent = await fetchJson<StoredMessage>(sandbox.url, "POST", "/api/send", {
      from: "app@example.test",
      to: ["big@example.test"],
      subject: "a large attachment",
      text: "see attached",
      attachments: [{ filename: "blob.bin", content: bytes.toString("base64") }],
    });
    expect(sent.status).toBe(201);
    expect(sent.body.envelope).toMatchObject({
      submittedVia: "api",
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(sent.body.attachments).toMatchObject([{ filename: "blob.bin", size: bytes.length }]);
    const stored = await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${sent.body.id}`);
    expect(stored.body.subject).toBe("a large attachment");
  });

  it("answers 400 naming the field, and 413 for a message over --max-message-size", async () => {
    const sandbox = await startTestSandbox(cleanup, { dataDir: null, maxMessageSize: 4096 });
    const bad = await fetchJson<ErrorBody>(sandbox.url, "POST", "/api/send", {
      from: "app@example.test",
      to: ["a@example.test"],
      headers: { "Content-Type": "text/html" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_parameter", parameter: "headers.Content-Type" });
    const large = await fetchJson<ErrorBody>(sandbox.url, "POST", "/api/send", {
      from: "app@example.test",
      to: ["a@example.test"],
      text: "x".repeat(10_000),
    });
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe("payload_too_large");
    const huge = await fetch(`${sandbox.url}/api/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        from: "a@example.test",
        to: ["b@example.test"],
        text: "x".repeat(2 * 1024 * 1024),
      }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as ErrorBody).error.message).toMatch(
      /^The request body is larger than \d+ bytes$/,
    );
  });
});

describe("release routes", () => {
  it("releases to an allowed recipient (202), refuses others (403), and keeps a log per message", async () => {
    const device = await startTestSandbox(cleanup);
    const sandbox = await startTestSandbox(cleanup, {
      relay: { url: `smtp://127.0.0.1:${device.smtpPort}?starttls=off`, allow: ["*@device.test"] },
    });
    const status = await fetchJson<RelayStatus>(sandbox.url, "GET", "/api/relay");
    expect(status.body).toEqual({
      configured: true,
      url: `smtp://127.0.0.1:${device.smtpPort}?starttls=off`,
      allow: ["*@device.test"],
    });
    const sent = await fetchJson<StoredMessage>(sandbox.url, "POST", "/api/send", {
      from: "app@staging.test",
      to: ["user@staging.test"],
      subject: "to the phone",
      text: "hello",
    });
    const id = sent.body.id;

    const refused = await fetchJson<ErrorBody>(sandbox.url, "POST", `/api/messages/${id}/release`, {
      to: ["ceo@bigcorp.example"],
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/never an open relay/),
    });

    const queued = await fetchJson<Release>(sandbox.url, "POST", `/api/messages/${id}/release`, {
      to: ["qa@device.test"],
    });
    expect(queued.status).toBe(202);
    let release = queued.body;
    for (let i = 0; i < 100 && release.state === "pending"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      release = (await fetchJson<Release>(sandbox.url, "GET", `/api/releases/${release.id}`)).body;
    }
    expect(release).toMatchObject({ state: "delivered", messageId: id, recipients: ["qa@device.test"] });
    const log = await fetchJson<ReleaseList>(sandbox.url, "GET", `/api/messages/${id}/releases`);
    expect(log.body.releases.map((entry) => entry.id)).toEqual([release.id]);

    const [arrived] = (await device.store.list({ limit: 1 })).messages;
    const raw = (await readAll((await device.store.readRaw(arrived!.id))!)).toString("utf8");
    const original = (await readAll((await sandbox.store.readRaw(id))!)).toString("utf8");
    expect(raw.endsWith(original)).toBe(true);
    expect(raw).toMatch(/^Resent-Date: /);

    // A retry goes where the release went: a body that asks for elsewhere is refused, not ignored.
    const elsewhere = await fetchJson(sandbox.url, "POST", `/api/releases/${release.id}/retry`, {
      to: ["evil@elsewhere.test"],
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ error: { code: "invalid_parameter", parameter: "to" } });
    const retried = await fetchJson<Release>(sandbox.url, "POST", `/api/releases/${release.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.redeliveryOf).toBe(release.id);
  });

  it("auto-relay rules: add, list, delete; without --relay the routes say why", async () => {
    const device = await startTestSandbox(cleanup);
    const sandbox = await startTestSandbox(cleanup, {
      relay: { url: `smtp://127.0.0.1:${device.smtpPort}?starttls=off`, allow: ["*@device.test"] },
    });
    const rule = await fetchJson<RelayRule>(sandbox.url, "POST", "/api/relay/rules", {
      match: "*@staging.test",
      relayTo: ["qa@device.test"],
    });
    expect(rule.status).toBe(201);
    expect(
      (await fetchJson<{ rules: RelayRule[] }>(sandbox.url, "GET", "/api/relay/rules")).body.rules,
    ).toEqual([rule.body]);
    expect((await fetchJson(sandbox.url, "DELETE", `/api/relay/rules/${rule.body.id}`)).status).toBe(204);
    expect((await fetchJson(sandbox.url, "DELETE", `/api/relay/rules/${rule.body.id}`)).status).toBe(404);
    // A field the route does not know is refused, not ignored.
    const misspelt = await fetchJson<ErrorBody>(sandbox.url, "POST", "/api/relay/rules", {
      match: "*@staging.test",
      to: ["qa@device.test"],
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error).toMatchObject({
      parameter: "to",
      message: expect.stringMatching(/^Unknown field "to"/),
    });
    const stored = await fetchJson<StoredMessage>(sandbox.url, "POST", "/api/send", {
      from: "a@example.test",
      to: ["b@example.test"],
    });
    const extra = await fetchJson<ErrorBody>(sandbox.url, "POST", `/api/messages/${stored.body.id}/release`, {
      to: ["qa@device.test"],
      cc: ["other@device.test"],
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toMatchObject({ parameter: "cc" });

    const plain = await startTestSandbox(cleanup, { dataDir: null });
    const sent = await fetchJson<StoredMessage>(plain.url, "POST", "/api/send", {
      from: "a@example.test",
      to: ["b@example.test"],
    });
    const refused = await fetchJson<ErrorBody>(plain.url, "POST", `/api/messages/${sent.body.id}/release`, {
      to: ["qa@device.test"],
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/No relay is configured/);
    expect((await fetchJson<RelayStatus>(plain.url, "GET", "/api/relay")).body.configured).toBe(false);
  });
});
