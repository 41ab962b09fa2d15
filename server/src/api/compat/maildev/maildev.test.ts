import { createServer } from "node:net";
import type { ErrorBody, Release, ReleaseList, StoredMessage } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import type { MailnestConfig } from "../../../config.js";
import { ApiHarness } from "../../../test-support/api-harness.js";
import { fetchJson } from "../../../test-support/fetch-json.js";
import { PIXEL_PNG } from "../../../test-support/peer-mail.js";
import { startTestSandbox, useCleanup } from "../../../test-support/test-sandbox.js";
import type { MaildevEmail } from "./maildev-email.js";

/**
 * MailDev 2's REST routes, through the exact requests cypress-maildev 2.0.0 makes (src/request.ts
 * and src/maildevCommands.ts: `${MAILDEV_PROTOCOL}://${MAILDEV_HOST}:${MAILDEV_API_PORT}` + path,
 * `Accept: application/json`, no body), against mail delivered over SMTP.
 */

const cleanup = useCleanup();

async function start(overrides: Partial<MailnestConfig> = {}) {
  const api = await ApiHarness.start(cleanup, overrides);
  /** cypress-maildev's `Request.request`: `cy.request({ method, url, headers: { Accept }, body: undefined }).its("body")`. */
  const cy = async <T>(method: string, path: string, baseUrl = api.url): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers: { Accept: "application/json" } });
    expect(response.status, `${method} ${path}`).toBe(200); // cy.request fails the test on anything else
    return (await response.json()) as T;
  };
  return { api, cy };
}

async function deliver(api: ApiHarness) {
  const first = await api.send({
    from: "shop@example.test",
    to: "bob@example.test",
    subject: "Order shipped",
    text: "Tracking 1Z999",
  });
  const second = await api.send({
    from: '"Ada Lovelace" <ada@example.test>',
    to: "ann@example.test",
    envelope: { from: "ada@example.test", to: ["ann@example.test", "hidden@example.test"] },
    subject: "Your code",
    text: "Your code is 482913",
    html: '<h1>Email incoming !</h1><a href="https://example.test/verify">click on this link</a><img src="cid:logo@x">',
    headers: { "X-Priority": "1 (Highest)" },
    attachments: [{ filename: "logo.png", content: PIXEL_PNG, contentType: "image/png", cid: "logo@x" }],
  });
  return { first, second };
}

describe("MailDev's REST routes through cypress-maildev's requests", () => {
  it("maildevGetAllMessages and maildevGetLastMessage: every email, oldest first", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    const emails = await cy<MaildevEmail[]>("GET", "/email");
    expect(emails.map((e) => e.id)).toEqual([first, second]);
    const last = emails[emails.length - 1]!; // maildevGetLastMessage
    expect(last).toMatchObject({
      id: second,
      subject: "Your code",
      from: [{ address: "ada@example.test", name: "Ada Lovelace" }],
      to: [{ address: "ann@example.test", name: "" }],
      text: "Your code is 482913",
      html: expect.stringContaining("click on this link"),
      read: false,
      priority: "high",
      messageId: expect.stringMatching(/@/),
      headers: expect.objectContaining({ subject: "Your code", "x-priority": "1 (Highest)" }),
      envelope: {
        from: { address: "ada@example.test", args: false },
        to: [
          { address: "ann@example.test", args: false },
          { address: "hidden@example.test", args: false },
        ],
        host: expect.any(String),
        remoteAddress: expect.any(String),
      },
      calculatedBcc: [{ address: "hidden@example.test", name: "" }],
      attachments: [
        expect.objectContaining({ fileName: "logo.png", generatedFileName: "logo.png", contentId: "logo@x" }),
      ],
      size: expect.any(Number),
      sizeHuman: expect.stringMatching(/ (bytes|KB)$/),
    });
    expect(emails[0]).not.toHaveProperty("cc");
    expect(emails[0]?.attachments).toBeNull();
  });

  it("maildevGetMessageById, BySubject and BySentTo; fetching one marks it read", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    const byId = await cy<MaildevEmail>("GET", `/email/${second}`);
    expect(byId).toMatchObject({ id: second, read: true });
    const all = await cy<MaildevEmail[]>("GET", "/email");
    expect(all.map((e) => e.read)).toEqual([false, true]);
    expect(all.find((e) => e.subject === "Order shipped")?.id).toBe(first);
    const sentTo = all.reverse().find((e) => e.to.some((to) => to.address === "ann@example.test"));
    expect(sentTo?.id).toBe(second);
    const missing = await fetch(`${api.url}/email/01aaaaaaaaaaaaaaaaaaaaaaaa`, {
      headers: { Accept: "application/json" },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: "Email was not found" } });
  });

  it("maildevVisitMessageById: the HTML page, with inline images served by the attachment route", async () => {
    const { api } = await start();
    const { second } = await deliver(api);

    const page = await fetch(`${api.url}/email/${second}/html`, { headers: { Accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain("<h1>Email incoming !</h1>");
    expect(html).toContain(`src="/email/${second}/attachment/logo.png"`);
    const image = await fetch(`${api.url}/email/${second}/attachment/logo.png`);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PIXEL_PNG);
  });

  it("maildevDeleteMessageById, maildevDeleteAllMessages and maildevHealthcheck answer true", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    expect(await cy<boolean>("GET", "/healthz")).toBe(true);
    expect(await cy<boolean>("DELETE", `/email/${first}`)).toBe(true);
    expect((await cy<MaildevEmail[]>("GET", "/email")).map((e) => e.id)).toEqual([second]);
    expect(await cy<boolean>("DELETE", "/email/all")).toBe(true);
    expect(await cy<MaildevEmail[]>("GET", "/email")).toEqual([]);
  });

  it("MailDev's list filters (dot notation), skip, read-all, source and download", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    const ids = async (query: string) =>
      (await cy<MaildevEmail[]>("GET", `/email?${query}`)).map((e) => e.id);
    expect(await ids("from.address=ada@example.test")).toEqual([second]);
    expect(await ids("to.address=bob@example.test")).toEqual([first]);
    expect(await ids("subject=Order%20shipped")).toEqual([first]);
    expect(await ids("skip=1")).toEqual([second]);

    const readAll = await fetch(`${api.url}/email/read-all`, { method: "PATCH" });
    expect(await readAll.json()).toBe(2);
    expect((await cy<MaildevEmail[]>("GET", "/email")).every((e) => e.read)).toBe(true);

    const raw = await (await api.fetch(`/api/messages/${first}/raw`)).text();
    expect(await (await fetch(`${api.url}/email/${first}/source`)).text()).toBe(raw);
    const download = await fetch(`${api.url}/email/${first}/download`);
    expect(download.headers.get("content-disposition")).toContain(`${first}.eml`);
    expect(await download.text()).toBe(raw);
  });

  it("the same routes under /maildev, for a MailDev host setting that carries a path", async () => {
    const { api, cy } = await start({ compat: [] });
    const { second } = await deliver(api);
    expect((await cy<MaildevEmail[]>("GET", "/email", `${api.url}/maildev`)).at(-1)?.id).toBe(second);
    expect(await cy<boolean>("GET", "/healthz", `${api.url}/maildev`)).toBe(true);
  });
});

/**
 * MailDev 3 (@maildev/api 3.0.0) moved the same routes under `/api` and added a page of summaries
 * for its web UI, a bulk delete and `/api/config`. Its own package has no client, so these are the
 * requests its web UI and its README's examples make.
 */
describe("MailDev 3's routes under /api", () => {
  interface SummaryPage {
    items: Array<{ id: string; preview: string; attachmentCount: number; cc?: unknown; read: boolean }>;
    total: number;
    storeTotal: number;
    unread: number;
    skip: number;
    limit: number;
  }

  it("GET /api/email: every email in full, in arrival order, with limit, sort and string-compared filters", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    const emails = await cy<MaildevEmail[]>("GET", "/api/email");
    expect(emails.map((e) => e.id)).toEqual([first, second]);
    expect(emails[1]).toMatchObject({
      subject: "Your code",
      source: `/api/email/${second}/source`,
      sizeHuman: expect.stringMatching(/ (Bytes|KB)$/),
      // MailDev 3's attachment fields, not MailDev 2's `fileName`, `length` and `contentId: ""`.
      attachments: [
        {
          filename: "logo.png",
          generatedFileName: "logo.png",
          contentType: "image/png",
          contentId: "logo@x",
          contentDisposition: "inline",
          size: PIXEL_PNG.length,
        },
      ],
    });
    expect(emails[0]?.attachments).toEqual([]);
    const ids = async (query: string) =>
      (await cy<MaildevEmail[]>("GET", `/api/email?${query}`)).map((e) => e.id);
    expect(await ids("sort=desc")).toEqual([second, first]);
    expect(await ids("sort=desc&limit=1")).toEqual([second]);
    expect(await ids("skip=1&limit=5")).toEqual([second]);
    expect(await ids("to.address=bob@example.test")).toEqual([first]);
    await cy("GET", `/api/email/${second}`); // marks it read
    expect(await ids("read=false")).toEqual([first]); // MailDev 2 compares strings only: no match there
    expect(await ids("read=true")).toEqual([second]);
  });

  it("GET /api/email/summary: a page of summaries, newest first, with search, unread and the counts", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);
    const third = await api.send({
      from: "shop@example.test",
      to: "bob@example.test",
      cc: "carol@example.test",
      subject: "Order delivered",
      text: "Left   at\nthe door",
    });

    const page = await cy<SummaryPage>("GET", "/api/email/summary");
    expect(page).toMatchObject({ total: 3, storeTotal: 3, unread: 3, skip: 0, limit: 50 });
    expect(page.items.map((item) => item.id)).toEqual([third, second, first]);
    expect(page.items[0]).toMatchObject({
      preview: "Left at the door",
      cc: [{ address: "carol@example.test" }],
    });
    expect(page.items[1]).toMatchObject({ attachmentCount: 1 });
    expect(page.items[1]).not.toHaveProperty("text");
    expect(page.items[1]).not.toHaveProperty("headers");
    expect(page.items[2]).not.toHaveProperty("cc");

    const ids = async (query: string) =>
      (await cy<SummaryPage>("GET", `/api/email/summary?${query}`)).items.map((item) => item.id);
    expect(await ids("sort=asc&skip=1&limit=1")).toEqual([second]);
    expect(await ids("search=ORDER")).toEqual([third, first]); // the subject, case-insensitively
    expect(await ids("search=lovelace")).toEqual([second]); // a sender's name
    expect(await ids("search=482913")).toEqual([second]); // the text body
    expect(await ids("search=carol")).toEqual([third]); // a Cc address
    expect(await ids("limit=0")).toHaveLength(3); // 0 means a default page, not everything
    expect((await cy<SummaryPage>("GET", "/api/email/summary?limit=5000")).limit).toBe(200);

    await cy("GET", `/api/email/${first}`);
    const unread = await cy<SummaryPage>("GET", "/api/email/summary?unread=true");
    expect(unread.items.map((item) => item.id)).toEqual([third, second]);
    expect(unread).toMatchObject({ total: 2, storeTotal: 3, unread: 2 });
  });

  it("POST /api/email/delete deletes several and names the ids it did not find; a bad body is a 400", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);
    const unknown = "01aaaaaaaaaaaaaaaaaaaaaaaa";

    const response = await fetch(`${api.url}/api/email/delete`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ids: [first, unknown, first] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ deleted: [first], notFound: [unknown] });
    expect((await cy<MaildevEmail[]>("GET", "/api/email")).map((e) => e.id)).toEqual([second]);

    const bad = await fetch(`${api.url}/api/email/delete`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ids: [second, ""] }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_parameter", parameter: "ids" } });
    expect((await cy<MaildevEmail[]>("GET", "/api/email")).map((e) => e.id)).toEqual([second]);
  });

  it("one email, its HTML (404 without one, as MailDev 3 answers), attachments, source, read-all, delete, health and config", async () => {
    const { api, cy } = await start();
    const { first, second } = await deliver(api);

    expect(await cy<MaildevEmail>("GET", `/api/email/${second}`)).toMatchObject({ id: second, read: true });
    const html = await (await fetch(`${api.url}/api/email/${second}/html`)).text();
    expect(html).toContain(`src="/api/email/${second}/attachment/logo.png"`);
    const image = await fetch(`${api.url}/api/email/${second}/attachment/logo.png`);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PIXEL_PNG);
    const noHtml = await fetch(`${api.url}/api/email/${first}/html`);
    expect(noHtml.status).toBe(404);
    expect(await noHtml.json()).toMatchObject({
      error: { code: "not_found", message: "Email has no HTML content" },
    });

    const raw = await (await api.fetch(`/api/messages/${first}/raw`)).text();
    expect(await (await fetch(`${api.url}/api/email/${first}/source`)).text()).toBe(raw);
    expect(await (await fetch(`${api.url}/api/email/${first}/download`)).text()).toBe(raw);

    expect(await (await fetch(`${api.url}/api/email/read-all`, { method: "PATCH" })).json()).toBe(1);
    expect(await cy<boolean>("GET", "/api/healthz")).toBe(true);
    expect(await cy("GET", "/api/config")).toEqual({
      version: expect.any(String),
      smtpPort: api.sandbox.smtpPort,
      isOutgoingEnabled: false,
      outgoingHost: null,
    });
    expect(await cy<boolean>("DELETE", `/api/email/${first}`)).toBe(true);
    expect((await fetch(`${api.url}/api/email/${first}`, { method: "DELETE" })).status).toBe(404);
    expect(await cy<boolean>("DELETE", "/api/email/all")).toBe(true);
    expect(await cy<MaildevEmail[]>("GET", "/api/email")).toEqual([]);
  });

  it("under /maildev/api always; at /api/email only with --compat maildev, else a 404 that says where", async () => {
    const { api, cy } = await start({ compat: [] });
    const { second } = await deliver(api);
    const base = `${api.url}/maildev`;
    expect((await cy<MaildevEmail[]>("GET", "/api/email", base)).at(-1)?.id).toBe(second);
    const html = await (await fetch(`${base}/api/email/${second}/html`)).text();
    expect(html).toContain(`src="/maildev/api/email/${second}/attachment/logo.png"`);

    const root = await fetch(`${api.url}/api/email`);
    expect(root.status).toBe(404);
    expect(await root.json()).toMatchObject({
      error: { code: "not_found", message: expect.stringContaining("/maildev/api/email") },
    });
  });
});

describe("MailDev's relay route: a release to --relay, answered once tried", () => {
  /** A loopback port nothing listens on: taken, then given back. */
  async function unusedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  async function sendTo(url: string, to: string): Promise<string> {
    const sent = await fetchJson<StoredMessage>(url, "POST", "/api/send", {
      from: "app@example.test",
      to: [to],
      subject: "to relay",
      text: "hello",
    });
    return sent.body.id;
  }

  it("relays to the envelope recipients or the address in the path, answers true once delivered, and refuses what --relay-allow does not allow", async () => {
    const device = await startTestSandbox(cleanup);
    const relay = `smtp://127.0.0.1:${device.smtpPort}?starttls=off`;
    const sandbox = await startTestSandbox(cleanup, { relay: { url: relay, allow: ["*@device.test"] } });
    const id = await sendTo(sandbox.url, "user@device.test");

    const toRecipients = await fetch(`${sandbox.url}/email/${id}/relay`, { method: "POST" });
    expect(toRecipients.status).toBe(200);
    expect(await toRecipients.json()).toBe(true);
    // Answered after the relay took it: it is there already.
    expect((await device.store.list({ limit: 5 })).messages.map((m) => m.rcptTo)).toEqual([
      ["user@device.test"],
    ]);

    const toPath = await fetch(`${sandbox.url}/api/email/${id}/relay/qa@device.test`, { method: "POST" });
    expect(await toPath.json()).toBe(true);
    expect((await device.store.list({ limit: 5 })).messages[0]?.rcptTo).toEqual(["qa@device.test"]);
    const releases = await fetchJson<ReleaseList>(sandbox.url, "GET", `/api/messages/${id}/releases`);
    expect(releases.body.releases.map((release) => release.state)).toEqual(["delivered", "delivered"]);

    const config = await fetchJson<Record<string, unknown>>(sandbox.url, "GET", "/api/config");
    expect(config.body).toMatchObject({
      isOutgoingEnabled: true,
      outgoingHost: `127.0.0.1:${device.smtpPort}`,
    });

    const refused = await fetchJson<ErrorBody>(
      sandbox.url,
      "POST",
      `/api/email/${id}/relay/ceo@bigcorp.example`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/never an open relay/);
    const malformed = await fetchJson<ErrorBody>(sandbox.url, "POST", `/email/${id}/relay/not-an-address`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "invalid_parameter", parameter: "relayTo" });
    expect(
      (await fetch(`${sandbox.url}/email/01jz4k8q3m2x7v9c0b5n6t1u00/relay`, { method: "POST" })).status,
    ).toBe(404);
    expect((await device.store.list({ limit: 5 })).messages).toHaveLength(2);
  });

  it("a relay that cannot be reached is a 502 naming the release, which is kept for its retry; without --relay, a 403", async () => {
    const closed = await unusedPort();
    const sandbox = await startTestSandbox(cleanup, {
      relay: { url: `smtp://127.0.0.1:${closed}?starttls=off`, allow: ["*@device.test"] },
    });
    const id = await sendTo(sandbox.url, "user@device.test");
    const failed = await fetchJson<ErrorBody & { error: { releaseId: string } }>(
      sandbox.url,
      "POST",
      `/maildev/api/email/${id}/relay`,
    );
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({
      code: "relay_failed",
      message: expect.stringMatching(/retried later/),
    });
    const release = await fetchJson<Release>(
      sandbox.url,
      "GET",
      `/api/releases/${failed.body.error.releaseId}`,
    );
    expect(release.body).toMatchObject({ state: "pending", messageId: id, recipients: ["user@device.test"] });
    expect(release.body.attempts).toHaveLength(1);

    const plain = await startTestSandbox(cleanup, { dataDir: null });
    const unsent = await sendTo(plain.url, "user@device.test");
    const notConfigured = await fetchJson<ErrorBody>(plain.url, "POST", `/email/${unsent}/relay`);
    expect(notConfigured.status).toBe(403);
    expect(notConfigured.body.error.message).toMatch(/No relay is configured/);
    expect((await fetchJson(plain.url, "GET", "/api/config")).body).toMatchObject({
      isOutgoingEnabled: false,
      outgoingHost: null,
    });
  });
});
