import type { IncomingMessage } from "node:http";
import mailhog from "mailhog";
import { describe, expect, it } from "vitest";
import type { MailnestConfig } from "../../../config.js";
import { ApiHarness } from "../../../test-support/api-harness.js";
import { ORDER_SHIPPED } from "../../../test-support/peer-mail.js";
import { useCleanup } from "../../../test-support/test-sandbox.js";
import type { MailhogMessage, MailhogMessages } from "./mailhog-message.js";

/**
 * MailHog's API driven by `mailhog`, the npm client MailHog users' tests call (and that
 * mailhog-awesome wraps), plus the exact requests cypress-mailhog makes, read from its index.js.
 */

const cleanup = useCleanup();

async function start(overrides: Partial<MailnestConfig> = {}) {
  const api = await ApiHarness.start(cleanup, overrides);
  const client = (basePath: string, auth?: string) =>
    mailhog({ host: "127.0.0.1", port: api.http.port, basePath, ...(auth === undefined ? {} : { auth }) });
  return { api, client };
}

async function deliver(api: ApiHarness) {
  const plain = await api.send(ORDER_SHIPPED);
  const rich = await api.send({
    from: '"Ada Lovelace" <ada@example.test>',
    to: "ann@example.test",
    cc: "carl@example.test",
    subject: "Grüße: welcome",
    text: "Hello Ann, your code is 482913.",
    html: "<p>Hello <b>Ann</b></p>",
    attachments: [{ filename: "report.csv", content: "a,b\n1,2\n", contentType: "text/csv" }],
  });
  return { plain, rich };
}

describe("MailHog's API through the mailhog client, under /mailhog", () => {
  it("lists v2 messages newest first, with the fields and MIME parts the client decodes", async () => {
    const { api, client } = await start();
    const { plain, rich } = await deliver(api);
    const hog = client("/mailhog/api");

    const result = (await hog.messages())!;
    expect(result).toMatchObject({ total: 2, count: 2, start: 0 });
    expect(result.items.map((m) => m.ID)).toEqual([rich, plain]);
    const message = result.items[0]!;
    // The client's getters decode what MailHog sends still encoded (its Q decoding keeps RFC 2047's
    // `_` for a space: so it does against MailHog).
    expect(message.subject).toBe("Grüße:_welcome");
    expect(message.from).toBe("Ada Lovelace <ada@example.test>");
    expect(message.to).toBe("ann@example.test");
    expect(message.cc).toBe("carl@example.test");
    // The client looks for bodies among the top-level parts only; these sit in a nested
    // multipart/alternative (attachments make it multipart/mixed), so it finds none, as with MailHog.
    expect(message.text).toBeUndefined();
    expect(message.date).toBeInstanceOf(Date);
    expect(message.deliveryDate.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(message.attachments.map((a) => [a.name, a.type])).toEqual([
      ["report.csv", "text/csv; name=report.csv"],
    ]);
    expect(Buffer.from(message.attachments[0]!.Body, "base64").toString()).toBe("a,b\n1,2\n");

    const paged = (await hog.messages(1, 1))!;
    expect(paged).toMatchObject({ total: 2, count: 1, start: 1 });
    expect(paged.items.map((m) => m.ID)).toEqual([plain]);
    expect(paged.items[0]?.text).toBe("Tracking: 1Z999\r\n"); // the body to the end of DATA, as MailHog keeps it

    await api.send({
      to: "ann@example.test",
      subject: "Alternative",
      text: "Plain body",
      html: "<p>HTML body</p>",
    });
    const alternative = (await hog.messages(0, 1))!.items[0]!;
    expect(alternative.text).toBe("Plain body");
    expect(alternative.html).toBe("<p>HTML body</p>");
  });

  it("searches from, to and containing, and finds the latest of each", async () => {
    const { api, client } = await start();
    const { plain, rich } = await deliver(api);
    const hog = client("/mailhog/api");
    const ids = async (query: string, kind: "from" | "to" | "containing") =>
      (await hog.search(query, kind))!.items.map((m) => m.ID);

    expect(await ids("ada@example.test", "from")).toEqual([rich]);
    expect(await ids("Lovelace", "from")).toEqual([rich]);
    expect(await ids("BOB@", "to")).toEqual([plain]);
    expect(await ids("1z999", "containing")).toEqual([plain]);
    expect(await ids("482913", "containing")).toEqual([rich]);
    expect(await ids("example.test", "containing")).toEqual([rich, plain]);
    expect(await ids("nowhere", "containing")).toEqual([]);
    expect((await hog.search("example.test", "containing", 1, 1))!.items.map((m) => m.ID)).toEqual([plain]);

    expect((await hog.latestTo("ann@example.test"))?.ID).toBe(rich);
    expect((await hog.latestFrom("shop@example.test"))?.ID).toBe(plain);
    expect((await hog.latestContaining("Tracking"))?.ID).toBe(plain);
    expect(await hog.latestContaining("nothing like it")).toBe(0); // MailHog's falsy "none"
  });

  it("deletes one and all with 200 and no body, as mailhog-awesome checks", async () => {
    const { api, client } = await start();
    const { plain, rich } = await deliver(api);
    const hog = client("/mailhog/api");

    // mailhog-awesome's deleteEmail: `rsp.statusCode !== 200` means it failed.
    const one = (await hog.deleteMessage(plain)) as unknown as IncomingMessage;
    expect(one.statusCode).toBe(200);
    expect((await hog.messages())!.items.map((m) => m.ID)).toEqual([rich]);
    const missing = (await hog.deleteMessage(plain)) as unknown as { error: { code: string } };
    expect(missing.error.code).toBe("not_found");
    const all = (await hog.deleteAll()) as unknown as IncomingMessage;
    expect(all.statusCode).toBe(200);
    expect(await hog.messages()).toMatchObject({ total: 0, count: 0, items: [] });
  });

  it("answers at the root with --compat mailhog, and with the token as a Basic password", async () => {
    const { api, client } = await start({ compat: ["mailhog"], apiToken: "hog-token" });
    const { rich } = await deliver(api);

    expect((await client("/api", "user:hog-token").messages())!.items[0]?.ID).toBe(rich);
    expect((await client("/mailhog/api", "user:hog-token").messages())!.total).toBe(2);
    const refused = (await client("/api", "user:wrong").messages()) as unknown as { error: { code: string } };
    expect(refused.error.code).toBe("unauthorized");
  });
});

describe("MailHog's v1 routes and MIME tree", () => {
  it("v1 lists an array, reads one, downloads the source and a MIME part", async () => {
    const { api } = await start();
    const { plain, rich } = await deliver(api);

    const list = await api.json<MailhogMessage[]>("/mailhog/api/v1/messages");
    expect(list.body.map((m) => m.ID)).toEqual([rich, plain]);
    const { body: message } = await api.json<MailhogMessage>(`/mailhog/api/v1/messages/${rich}`);
    expect(message).toMatchObject({
      ID: rich,
      From: { Relays: null, Mailbox: "ada", Domain: "example.test", Params: "" },
      To: [{ Relays: null, Mailbox: "ann", Domain: "example.test", Params: "" }, { Mailbox: "carl" }],
      Raw: {
        From: "ada@example.test",
        To: ["ann@example.test", "carl@example.test"],
        Helo: expect.any(String),
      },
      Content: {
        Headers: {
          Subject: ["=?UTF-8?Q?Gr=C3=BC=C3=9Fe=3A_welcome?="],
          "Return-Path": ["<ada@example.test>"],
        },
      },
    });
    expect(message.Content.Headers.Received?.[0]).toContain("(Mailnest)");
    expect(message.Raw.Data).toBe(await (await api.fetch(`/api/messages/${rich}/raw`)).text());
    // multipart/mixed → [multipart/alternative → [text, html], attachment], as MailHog splits it.
    const parts = message.MIME?.Parts ?? [];
    const alternative = parts.find((p) =>
      p.Headers["Content-Type"]?.[0]?.startsWith("multipart/alternative"),
    );
    expect(alternative?.MIME?.Parts.map((p) => p.Headers["Content-Type"]?.[0]?.split(";")[0])).toContain(
      "text/html",
    );
    const attachment = parts.findIndex((p) =>
      p.Headers["Content-Disposition"]?.[0]?.startsWith("attachment"),
    );
    expect(attachment).toBeGreaterThan(-1);

    const part = await api.fetch(`/mailhog/api/v1/messages/${rich}/mime/part/${attachment}/download`);
    expect(part.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await part.text()).toBe("a,b\n1,2\n");
    const source = await api.fetch(`/mailhog/api/v1/messages/${rich}/download`);
    expect(source.headers.get("content-disposition")).toContain(`${rich}.eml`);
    expect(await source.text()).toBe(message.Raw.Data);
    expect((await api.fetch("/mailhog/api/v1/messages/01aaaaaaaaaaaaaaaaaaaaaaaa")).status).toBe(404);
  });

  it("replays cypress-mailhog's requests: mhGetAllMails, mhSearchMails, mhDeleteAll and its filters", async () => {
    const { api } = await start({ apiToken: "cy-token" });
    const { plain, rich } = await deliver(api);
    // cypress-mailhog: `new URL("api" + path, mailHogUrl)`, `auth: { user, pass }` (Basic).
    const mailHogUrl = `${api.url}/mailhog/`;
    const auth = { authorization: `Basic ${Buffer.from("cy:cy-token").toString("base64")}` };
    const get = async (path: string) => {
      const response = await fetch(new URL(`api${path}`, mailHogUrl), { headers: auth });
      expect(response.status).toBe(200);
      return (await response.json()) as MailhogMessages;
    };

    const all = (await get(`/v2/messages?limit=${encodeURIComponent(50)}`)).items;
    // mhGetMailsBySubject, mhGetMailsByRecipient, mhGetMailsBySender, mhGetAttachments:
    expect(all.filter((m) => m.Content.Headers.Subject?.[0] === "Order shipped").map((m) => m.ID)).toEqual([
      plain,
    ]);
    expect(
      all
        .filter((m) => m.To.map((r) => `${r.Mailbox}@${r.Domain}`).includes("carl@example.test"))
        .map((m) => m.ID),
    ).toEqual([rich]);
    expect(all.filter((m) => m.Raw.From === "shop@example.test").map((m) => m.ID)).toEqual([plain]);
    const attachments = (all[0]?.MIME?.Parts ?? []).flatMap((p) => {
      const disposition = p.Headers["Content-Disposition"]?.[0]?.split(";").map((t) => t.trim()) ?? [];
      return disposition.includes("attachment")
        ? [disposition.find((t) => t.startsWith("filename="))?.replace("filename=", "")]
        : [];
    });
    expect(attachments).toEqual(["report.csv"]);
    expect(all[1]?.Content.Body).toContain("Tracking: 1Z999"); // mhGetBody

    const kind = "to";
    const query = "ann@example.test";
    const found = await get(
      `/v2/search?kind=${encodeURIComponent(kind)}&query=${encodeURIComponent(query)}&limit=${encodeURIComponent(50)}`,
    );
    expect(found.items.map((m) => m.ID)).toEqual([rich]);

    // mhGetJimMode: 200 means Jim is on; Mailnest has no Jim (use its fault rules instead).
    expect((await fetch(new URL("api/v2/jim", mailHogUrl), { headers: auth })).status).toBe(404);

    const deleted = await fetch(new URL("api/v1/messages", mailHogUrl), { method: "DELETE", headers: auth });
    expect(deleted.status).toBe(200);
    expect(await get("/v2/messages?limit=50")).toMatchObject({ total: 0, items: [] });
  });

  it("v2 search without a valid kind or query is a 400", async () => {
    const { api } = await start();
    expect((await api.fetch("/mailhog/api/v2/search?kind=subject&query=x")).status).toBe(400);
    expect((await api.fetch("/mailhog/api/v2/search?kind=from")).status).toBe(400);
  });
});
