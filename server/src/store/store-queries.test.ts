import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createStoreKit,
  ingestBuffer,
  STORE_BACKENDS,
  testEnvelope,
  testMessage,
} from "../test-support/store-kit.js";
import { InvalidCursorError } from "./errors.js";
import type { MessageStore } from "./message-store.js";

/** Until `done` holds, for at most 5 s (PostgreSQL's events arrive through its change feed). */
async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const kit = createStoreKit();
describe.each(STORE_BACKENDS)("store queries (%s)", (backend) => {
  let store: MessageStore;

  beforeAll(async () => {
    ({ store } = await kit.openBackend(backend));
    // 1
    await ingestBuffer(
      store,
      testMessage({
        subject: "Welcome aboard",
        from: '"Signup Bot" <bot@app.test>',
        text: "Your code is 123456",
      }),
      testEnvelope({ mailFrom: "bounces@app.test", rcptTo: ["alice@mailnest.test"] }),
    );
    // 2
    await ingestBuffer(
      store,
      testMessage({
        subject: "Reset your password",
        to: "bob@mailnest.test",
        cc: "Carol <carol@mailnest.test>",
      }),
      testEnvelope({ rcptTo: ["bob@mailnest.test", "carol@mailnest.test"], authUser: "app-user" }),
    );
    // 3: HTML only, with an attachment
    const html = await new MailComposer({
      from: "news@app.test",
      to: "alice@mailnest.test",
      subject: "Newsletter",
      html: "<p>Big <b>summer</b> sale &amp; more</p><style>.hidden-word{}</style>",
      attachments: [{ filename: "flyer.pdf", content: Buffer.from("%PDF") }],
    })
      .compile()
      .build();
    await ingestBuffer(store, html, testEnvelope({ rcptTo: ["alice@mailnest.test"] }));
    // 4: only Bcc'd to dave (not in any header)
    await ingestBuffer(
      store,
      testMessage({ subject: "Weekly report" }),
      testEnvelope({ rcptTo: ["dave@mailnest.test"] }),
    );
  });
  afterAll(() => kit.cleanup());

  async function subjects(query: Parameters<MessageStore["list"]>[0]): Promise<string[]> {
    return (await store.list(query)).messages.map((message) => message.subject);
  }

  describe("list filters", () => {
    it("filters by inbox, normalizing the address", async () => {
      expect(await subjects({ limit: 50, inbox: "ALICE@mailnest.test" })).toEqual([
        "Newsletter",
        "Welcome aboard",
      ]);
    });

    it("matches from on the header name, the header address and MAIL FROM, case-insensitively", async () => {
      expect(await subjects({ limit: 50, from: "signup bot" })).toEqual(["Welcome aboard"]);
      expect(await subjects({ limit: 50, from: "NEWS@" })).toEqual(["Newsletter"]);
      expect(await subjects({ limit: 50, from: "bounces@" })).toEqual(["Welcome aboard"]);
    });

    it("matches to on To, Cc and RCPT TO (so a Bcc recipient is found)", async () => {
      expect(await subjects({ limit: 50, to: "carol" })).toEqual(["Reset your password"]);
      expect(await subjects({ limit: 50, to: "dave@" })).toEqual(["Weekly report"]);
    });

    it("matches subject substrings", async () => {
      expect(await subjects({ limit: 50, subject: "PASSWORD" })).toEqual(["Reset your password"]);
    });

    it("matches text in the text body and in the HTML's visible text, not in markup or styles", async () => {
      expect(await subjects({ limit: 50, text: "code is 123456" })).toEqual(["Welcome aboard"]);
      expect(await subjects({ limit: 50, text: "big summer sale & more" })).toEqual(["Newsletter"]);
      expect(await subjects({ limit: 50, text: "hidden-word" })).toEqual([]);
      expect(await subjects({ limit: 50, text: "<b>" })).toEqual([]);
    });

    it("filters on attachments and the exact auth user", async () => {
      expect(await subjects({ limit: 50, hasAttachment: true })).toEqual(["Newsletter"]);
      expect(await subjects({ limit: 50, hasAttachment: false })).toHaveLength(3);
      expect(await subjects({ limit: 50, authUser: "app-user" })).toEqual(["Reset your password"]);
      expect(await subjects({ limit: 50, authUser: "app" })).toEqual([]);
    });

    it("returns only messages after `since`", async () => {
      expect(await subjects({ limit: 50, since: 2 })).toEqual(["Weekly report", "Newsletter"]);
      expect(await subjects({ limit: 50, since: 4 })).toEqual([]);
    });

    it("combines filters", async () => {
      expect(await subjects({ limit: 50, inbox: "alice@mailnest.test", text: "code" })).toEqual([
        "Welcome aboard",
      ]);
      expect(await subjects({ limit: 50, inbox: "alice@mailnest.test", subject: "reset" })).toEqual([]);
    });

    it("paginates a filtered list without empty pages", async () => {
      const first = await store.list({ limit: 1, inbox: "alice@mailnest.test" });
      expect(first.messages.map((m) => m.subject)).toEqual(["Newsletter"]);
      const second = await store.list({ limit: 1, inbox: "alice@mailnest.test", cursor: first.nextCursor! });
      expect(second.messages.map((m) => m.subject)).toEqual(["Welcome aboard"]);
      expect(second.nextCursor).toBeNull();
    });

    it("paginates with a text filter", async () => {
      const first = await store.list({ limit: 1, text: "e" });
      const second = await store.list({ limit: 1, text: "e", cursor: first.nextCursor! });
      expect(second.messages[0]!.sequence).toBeLessThan(first.messages[0]!.sequence);
    });

    it("rejects a cursor it did not hand out", async () => {
      await expect(store.list({ limit: 5, cursor: "abc" })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.list({ limit: 5, cursor: "-1" })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it("matches() answers like list for one message", async () => {
      const page = await store.list({ limit: 50 });
      for (const summary of page.messages) {
        const listed = (await store.list({ limit: 50, text: "summer" })).messages.some(
          (m) => m.id === summary.id,
        );
        expect(await store.matches(summary, { text: "summer" })).toBe(listed);
      }
      const welcome = page.messages.find((m) => m.subject === "Welcome aboard")!;
      expect(await store.matches(welcome, { inbox: "Alice@Mailnest.test", from: "bot" })).toBe(true);
      expect(await store.matches(welcome, { inbox: "bob@mailnest.test" })).toBe(false);
    });
  });

  describe("summaries", () => {
    it("carry a snippet from the text, or from the HTML's visible text", async () => {
      const page = await store.list({ limit: 50 });
      expect(page.messages.find((m) => m.subject === "Welcome aboard")?.snippet).toBe("Your code is 123456");
      expect(page.messages.find((m) => m.subject === "Newsletter")?.snippet).toBe("Big summer sale & more");
      expect(page.messages.find((m) => m.subject === "Newsletter")?.attachmentCount).toBe(1);
    });

    it("page the same through listIndexed, which IMAP and POP3 walk, without serving snippets", async () => {
      const query = { limit: 2, inbox: "alice@mailnest.test" };
      const served = await store.list(query);
      const indexed = await store.listIndexed(query);
      expect(indexed.messages.map((m) => m.id)).toEqual(served.messages.map((m) => m.id));
      expect(indexed.nextCursor).toBe(served.nextCursor);
      expect(indexed.head).toBe(served.head);
      // Each is the store's own summary, as `summary(id)` gives it.
      for (const message of indexed.messages) expect(message).toBe(store.summary(message.id));
    });

    // The embedded store's index keeps no snippets (its search text does): every way a summary
    // leaves a store must carry it all the same.
    it("carry the snippet however they leave the store: pages, a message, a read flag, events", async () => {
      const snippet = "Your code is 123456";
      const welcome = (await store.list({ limit: 1, subject: "Welcome aboard" })).messages[0]!;
      expect(welcome.snippet).toBe(snippet);
      expect((await store.list({ limit: 10, inbox: "alice@mailnest.test" })).messages.at(-1)?.snippet).toBe(
        snippet,
      );
      expect((await store.get(welcome.id))?.snippet).toBe(snippet);

      const { store: other, eventsNamed } = await kit.openBackend(backend);
      const stored = await ingestBuffer(
        other,
        testMessage({ subject: "Two inboxes", text: "Both of you, read this" }),
        testEnvelope({ rcptTo: ["erin@mailnest.test", "frank@mailnest.test"] }),
      );
      expect(stored.snippet).toBe("Both of you, read this");
      expect((await other.setRead(stored.id, true))?.snippet).toBe("Both of you, read this");
      await other.setInboxRead("erin@mailnest.test", false);
      await other.clearInbox("frank@mailnest.test");
      await eventually(() => eventsNamed("message.updated").length >= 3);
      const events = [...eventsNamed("message.stored"), ...eventsNamed("message.updated")];
      expect(events.map(({ message }) => message.snippet)).toEqual(Array(4).fill("Both of you, read this"));
      expect(eventsNamed("message.updated").at(-1)?.message.inboxes).toEqual(["erin@mailnest.test"]);
    });
  });

  describe("attachments", () => {
    it("reads an attachment's bytes by its server id", async () => {
      const newsletter = (await store.list({ limit: 50, subject: "Newsletter" })).messages[0]!;
      const attachment = await store.readAttachment(newsletter.id, "a1");
      expect(attachment?.meta).toMatchObject({
        id: "a1",
        filename: "flyer.pdf",
        contentType: "application/pdf",
      });
      const chunks: Buffer[] = [];
      for await (const chunk of attachment!.content) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("%PDF");
      expect(await store.readAttachment(newsletter.id, "a2")).toBeNull();
      expect(await store.readAttachment(newsletter.id, "../a1")).toBeNull();
    });
  });
});
