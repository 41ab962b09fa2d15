import { describe, expect, it, vi } from "vitest";
import type { MessagePage } from "../../store/message-store.js";
import type { MessageSummary, StoredMessage } from "../../store/model.js";
import { ApiHarness, inboxPath } from "../../test-support/api-harness.js";
import { sha256, useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();
type ErrorBody = { error: { code: string; message: string; parameter?: string } };

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

async function richMessage(api: ApiHarness): Promise<string> {
  return api.send({
    from: '"Ada Lovelace" <ada@example.test>',
    to: "ann@example.test",
    subject: "Your report",
    text: "Hello Ann, see https://example.test/report",
    html: '<p>Hello <b>Ann</b>, see <a href="https://example.test/report">the report</a></p>',
    attachments: [
      {
        filename: "Bücher & Co 2024.pdf",
        content: Buffer.from("%PDF-1.4 fake"),
        contentType: "application/pdf",
      },
      { filename: "../../etc/passwd", content: "root:x:0:0" },
      { filename: "pixel.png", content: PNG, contentType: "image/png", cid: "pixel@example.test" },
    ],
  });
}

describe("message list routes", () => {
  it("lists summaries newest first with the head, and no bodies or headers", async () => {
    const api = await ApiHarness.start(cleanup);
    for (const subject of ["one", "two", "three"])
      await api.send({ to: "ann@example.test", subject, text: "body" });

    const { status, body } = await api.json<MessagePage>("/api/messages");
    expect(status).toBe(200);
    expect(body.messages.map((m) => m.subject)).toEqual(["three", "two", "one"]);
    expect(body.messages.map((m) => m.sequence)).toEqual([3, 2, 1]);
    expect(body).toMatchObject({ nextCursor: null, head: 3 });
    for (const summary of body.messages) {
      expect(summary).not.toHaveProperty("text");
      expect(summary).not.toHaveProperty("html");
      expect(summary).not.toHaveProperty("headers");
    }
  });

  it("pages with a cursor: every message exactly once, then nextCursor null", async () => {
    const api = await ApiHarness.start(cleanup);
    await Promise.all(
      Array.from({ length: 7 }, (_, i) => api.send({ to: "ann@example.test", subject: `m${i}` })),
    );

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const { body }: { body: MessagePage } = await api.json<MessagePage>(`/api/messages?limit=3${query}`);
      expect(body.messages.length).toBeLessThanOrEqual(3);
      seen.push(...body.messages.map((m) => m.sequence));
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it("filters by from, to, subject, text (HTML too), hasAttachment, authUser and since", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({
      from: "alerts@shop.test",
      to: "ann@example.test",
      subject: "Order shipped",
      text: "tracking 123",
    });
    await api.send({
      to: "bob@example.test",
      subject: "Welcome Bob",
      html: "<p>Your CODE is <b>4711</b></p>",
    });
    await api.send({
      to: "bob@example.test",
      subject: "Invoice",
      text: "attached",
      attachments: [{ content: "x" }],
    });
    const subjects = async (query: string) =>
      (await api.json<MessagePage>(`/api/messages?${query}`)).body.messages.map((m) => m.subject);

    expect(await subjects("from=SHOP.test")).toEqual(["Order shipped"]);
    expect(await subjects("to=bob@")).toEqual(["Invoice", "Welcome Bob"]);
    expect(await subjects("subject=welcome")).toEqual(["Welcome Bob"]);
    expect(await subjects("text=code%20is")).toEqual(["Welcome Bob"]);
    expect(await subjects("text=TRACKING")).toEqual(["Order shipped"]);
    expect(await subjects("hasAttachment=true")).toEqual(["Invoice"]);
    expect(await subjects("hasAttachment=false&to=bob")).toEqual(["Welcome Bob"]);
    expect(await subjects("since=1")).toEqual(["Invoice", "Welcome Bob"]);
    expect(await subjects("to=bob&subject=invoice&since=2")).toEqual(["Invoice"]);
    expect(await subjects("from=")).toHaveLength(3);
  });

  it("filters by the SMTP AUTH user", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "anonymous" });
    const { default: nodemailer } = await import("nodemailer");
    const authed = nodemailer.createTransport({
      host: "127.0.0.1",
      port: api.sandbox.smtpPort,
      secure: false,
      auth: { user: "app-user", pass: "secret" },
    });
    cleanup(() => authed.close());
    await authed.sendMail({ from: "app@example.test", to: "ann@example.test", subject: "authenticated" });

    const { body } = await api.json<MessagePage>("/api/messages?authUser=app-user");
    expect(body.messages.map((m) => [m.subject, m.authUser])).toEqual([["authenticated", "app-user"]]);
  });

  it("lists one inbox (any spelling), and an inbox never seen as an empty page", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "for ann" });
    await api.send({ to: "bob@example.test", subject: "for bob" });

    const ann = await api.json<MessagePage>(inboxPath("ANN@example.test", "/messages"));
    expect(ann.body.messages.map((m) => m.subject)).toEqual(["for ann"]);
    expect(ann.body.head).toBe(2);
    const nobody = await api.json<MessagePage>(inboxPath("nobody@example.test", "/messages"));
    expect(nobody).toMatchObject({ status: 200, body: { messages: [], nextCursor: null, head: 2 } });
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=abc", "limit"],
    ["limit=1&limit=2", "limit"],
    ["since=-1", "since"],
    ["since=1.5", "since"],
    ["hasAttachment=maybe", "hasAttachment"],
    ["subjct=typo", "subjct"],
    [`subject=${"x".repeat(1001)}`, "subject"],
    ["cursor=not-a-cursor", "cursor"],
  ])("refuses ?%s naming %s", async (query, parameter) => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "one" });
    const { status, body } = await api.json<ErrorBody>(`/api/messages?${query}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_parameter", parameter });
    expect(body.error.message).toContain(parameter);
  });

  it("defaults the page size to 50 and allows up to 500", async () => {
    const api = await ApiHarness.start(cleanup);
    await Promise.all(
      Array.from({ length: 55 }, (_, i) => api.send({ to: "ann@example.test", subject: `m${i}` })),
    );
    const first = await api.json<MessagePage>("/api/messages");
    expect(first.body.messages).toHaveLength(50);
    expect(first.body.nextCursor).not.toBeNull();
    expect((await api.json<MessagePage>("/api/messages?limit=500")).body.messages).toHaveLength(55);
  });
});

describe("one message", () => {
  it("returns the full parsed message", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await richMessage(api);
    const { status, body } = await api.json<StoredMessage>(`/api/messages/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id,
      sequence: 1,
      inboxes: ["ann@example.test"],
      subject: "Your report",
      from: [{ name: "Ada Lovelace", address: "ada@example.test" }],
      text: expect.stringContaining("Hello Ann"),
      html: expect.stringContaining("<b>Ann</b>"),
      attachmentCount: 3,
      envelope: { mailFrom: "ada@example.test", rcptTo: ["ann@example.test"] },
      parseError: null,
    });
    expect(body.attachments.map((a) => a.id).sort()).toEqual(["a1", "a2", "a3"]);
    expect(body.links.map((l) => l.href)).toContain("https://example.test/report");
    expect(body.headers.find((h) => h.name.toLowerCase() === "subject")?.value).toBe("Your report");
  });

  it("serves the raw bytes as message/rfc822, byte-exact, as a download on request", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await richMessage(api);
    const { body: message } = await api.json<StoredMessage>(`/api/messages/${id}`);

    const raw = await api.fetch(`/api/messages/${id}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("message/rfc822");
    expect(raw.headers.get("content-disposition")).toBeNull();
    const bytes = Buffer.from(await raw.arrayBuffer());
    expect(bytes.length).toBe(message.size);
    expect(sha256(bytes)).toBe(message.sha256);

    const download = await api.fetch(`/api/messages/${id}/raw?download=1`);
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="${id}.eml"; filename*=UTF-8''${id}.eml`,
    );
    await download.arrayBuffer();
  });

  it("serves the HTML body sandboxed by CSP, the text body, and the headers", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await richMessage(api);

    const html = await api.fetch(`/api/messages/${id}/html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toBe(
      "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'",
    );
    expect(html.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(await html.text()).toContain("<b>Ann</b>");

    const text = await api.fetch(`/api/messages/${id}/text`);
    expect(text.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await text.text()).toContain("Hello Ann");

    const headers = await api.json<{ headers: { name: string; value: string }[] }>(
      `/api/messages/${id}/headers`,
    );
    expect(headers.body.headers.some((h) => h.name.toLowerCase() === "from")).toBe(true);
  });

  it("answers 404 for the HTML of a text-only message and the text of an HTML-only one", async () => {
    const api = await ApiHarness.start(cleanup);
    const textOnly = await api.send({ to: "ann@example.test", subject: "plain", text: "just text" });
    const response = await api.json<ErrorBody>(`/api/messages/${textOnly}/html`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("not_found");
  });

  it("serves attachments with their stored type, nosniff, a safe RFC 6266 name and the exact bytes", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await richMessage(api);

    const { body: message } = await api.json<StoredMessage>(`/api/messages/${id}`);
    const attachmentId = (prefix: string) =>
      message.attachments.find((a) => a.filename?.includes(prefix))?.id;
    const pdf = await api.fetch(`/api/messages/${id}/attachments/${attachmentId("Bücher")}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("x-content-type-options")).toBe("nosniff");
    expect(pdf.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(pdf.headers.get("content-disposition")).toBe(
      `attachment; filename="B_cher & Co 2024.pdf"; filename*=UTF-8''B%C3%BCcher%20&%20Co%202024.pdf`,
    );
    expect(Buffer.from(await pdf.arrayBuffer()).toString()).toBe("%PDF-1.4 fake");

    const traversal = await api.fetch(`/api/messages/${id}/attachments/${attachmentId("passwd")}`);
    expect(traversal.headers.get("content-disposition")).toBe(
      `attachment; filename="passwd"; filename*=UTF-8''passwd`,
    );
    await traversal.arrayBuffer();

    const png = await api.fetch(`/api/messages/${id}/attachments/${attachmentId("pixel")}`);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(sha256(Buffer.from(await png.arrayBuffer()))).toBe(sha256(PNG));
  });

  it("answers 404 for an unknown attachment and for ids that cannot exist, without asking the store", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await richMessage(api);
    const get = vi.spyOn(api.sandbox.store, "get");
    const readRaw = vi.spyOn(api.sandbox.store, "readRaw");
    const readAttachment = vi.spyOn(api.sandbox.store, "readAttachment");

    expect((await api.json<ErrorBody>(`/api/messages/${id}/attachments/a9`)).status).toBe(404);
    expect(readAttachment).toHaveBeenCalledTimes(1);
    get.mockClear();

    for (const path of [
      `/api/messages/${id.toUpperCase()}`,
      `/api/messages/..%2F..%2Fetc%2Fpasswd`,
      `/api/messages/${id}x/raw`,
      `/api/messages/${id}/attachments/..%2Fa1`,
      `/api/messages/${id}/attachments/b1`,
    ]) {
      const { status, body } = await api.json<ErrorBody>(path);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: "not_found" });
    }
    expect(get).not.toHaveBeenCalled();
    expect(readRaw).not.toHaveBeenCalled();
    expect(readAttachment).toHaveBeenCalledTimes(1);
    expect((await api.json<ErrorBody>("/api/messages/01aaaaaaaaaaaaaaaaaaaaaaaa")).status).toBe(404);
  });

  it("sets and clears the read flag", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({ to: "ann@example.test", subject: "one" });

    const read = await api.json<MessageSummary>(`/api/messages/${id}`, {
      method: "PATCH",
      body: { read: true },
    });
    expect(read).toMatchObject({ status: 200, body: { id, read: true } });
    expect((await api.json<{ unreadCount: number }>(inboxPath("ann@example.test"))).body.unreadCount).toBe(0);
    const unread = await api.json<MessageSummary>(`/api/messages/${id}`, {
      method: "PATCH",
      body: { read: false },
    });
    expect(unread.body.read).toBe(false);

    const missing = await api.json<ErrorBody>(`/api/messages/${id}`, { method: "PATCH", body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.parameter).toBe("read");
    const unknown = await api.json<ErrorBody>("/api/messages/01aaaaaaaaaaaaaaaaaaaaaaaa", {
      method: "PATCH",
      body: { read: true },
    });
    expect(unknown.status).toBe(404);
  });

  it("deletes one message (then 404), and everything at once", async () => {
    const api = await ApiHarness.start(cleanup);
    const first = await api.send({ to: "ann@example.test", subject: "one" });
    await api.send({ to: "bob@example.test", subject: "two" });
    await api.send({ to: "bob@example.test", subject: "three" });

    expect((await api.fetch(`/api/messages/${first}`, { method: "DELETE" })).status).toBe(204);
    expect((await api.fetch(`/api/messages/${first}`)).status).toBe(404);
    expect((await api.fetch(`/api/messages/${first}/raw`)).status).toBe(404);
    expect((await api.json<ErrorBody>(`/api/messages/${first}`, { method: "DELETE" })).status).toBe(404);

    expect(await api.json("/api/messages", { method: "DELETE" })).toMatchObject({
      status: 200,
      body: { deleted: 2 },
    });
    expect((await api.json<MessagePage>("/api/messages")).body).toMatchObject({ messages: [], head: 3 });
  });
});
